# scikit-learn's handwritten digits as 32x32 RGB images (DigitsClsDataset):
# 1257 train and 540 val images, nothing to download. The augmentation is a
# random shift of up to 2 pixels; flips would turn digits into other
# symbols.
dataset_type = 'DigitsClsDataset'
num_classes = 10

# Mean and standard deviation of the digit pixels (0-255), the same in the
# three channels.
data_preprocessor = dict(
    type='ClsDataPreprocessor',
    mean=[77.9, 77.9, 77.9],
    std=[95.9, 95.9, 95.9],
    to_rgb=False)

train_pipeline = [
    dict(type='ClsRandomCrop', size=32, padding=2),
    dict(type='PackClsInputs'),
]
test_pipeline = [dict(type='PackClsInputs')]

train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=128,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        split='val',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='ClsAccuracy', topk=(1, ))
test_evaluator = val_evaluator
