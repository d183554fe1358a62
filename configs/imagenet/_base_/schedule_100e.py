# ImageNet schedule of mdistiller's KD config
# (configs/imagenet/r34_r18/kd.yaml): 100 epochs of SGD with lr 0.2 for a
# batch of 512, momentum 0.9, weight decay 1e-4, the learning rate divided
# by 10 at epochs 30, 60 and 90.
max_epochs = 100
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.2, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(
        type='MultiStepLR',
        by_epoch=True,
        begin=0,
        end=max_epochs,
        milestones=[30, 60, 90],
        gamma=0.1)
]
# lr 0.2 is for a total batch of 512; --auto-scale-lr rescales it.
auto_scale_lr = dict(enable=False, base_batch_size=512)
