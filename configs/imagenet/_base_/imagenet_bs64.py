# ImageNet-1k from class folders data/imagenet/{train,val}/<wnid>/*.JPEG
# (see ImageFolderDataset). 8 GPUs x 64 images make the batch of 512 of
# mdistiller's ImageNet configs.
dataset_type = 'ImageFolderDataset'
data_root = 'data/imagenet'
num_classes = 1000

# LoadImageFromFile reads BGR; the ImageNet mean and std are in RGB order.
data_preprocessor = dict(
    type='ClsDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

# NOTE: the ImageNet KD benchmarks usually train with torchvision's
# RandomResizedCrop, which neither mmcv nor this package provides. This
# pipeline uses the scale augmentation of the ResNet paper (He et al., 2016)
# instead: the shorter side resized to a random size in [256, 480], then a
# random 224x224 crop. Accuracies may differ from the published ones.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomChoiceResize',
        scales=[256, 288, 320, 352, 384, 416, 448, 480],
        resize_type='ResizeShortestEdge'),
    dict(type='RandomCrop', crop_size=(224, 224), crop_type='absolute'),
    dict(type='ClsRandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackClsInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeShortestEdge', scale=256),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackClsInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='ClsAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
