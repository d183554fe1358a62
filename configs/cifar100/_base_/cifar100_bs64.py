# CIFAR-100 from the python release in data/cifar100/, laid out as
# CIFAR100Dataset describes. Nothing is downloaded. The augmentation is the
# standard one of CIFAR: a random 32x32 crop of the image padded by 4
# pixels, and a horizontal flip.
dataset_type = 'CIFAR100Dataset'
data_root = 'data/cifar100'
num_classes = 100

# RGB mean and standard deviation of the CIFAR-100 training images (0-255).
data_preprocessor = dict(
    type='ClsDataPreprocessor',
    mean=[129.3, 124.1, 112.4],
    std=[68.2, 65.4, 70.4],
    to_rgb=False)

train_pipeline = [
    dict(type='ClsRandomCrop', size=32, padding=4),
    dict(type='ClsRandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackClsInputs'),
]
test_pipeline = [dict(type='PackClsInputs')]

train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='ClsAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
