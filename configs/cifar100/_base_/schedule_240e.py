# Schedule of the CIFAR-100 configs of mdistiller (the DKD authors' code)
# and of the RLKD authors' code: 240 epochs of SGD (lr 0.05, momentum 0.9,
# weight decay 5e-4) with batch 64, the learning rate divided by 10 at
# epochs 150, 180 and 210.
max_epochs = 240
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(
        type='MultiStepLR',
        by_epoch=True,
        begin=0,
        end=max_epochs,
        milestones=[150, 180, 210],
        gamma=0.1)
]
# lr 0.05 is for one GPU with batch 64; --auto-scale-lr rescales it.
auto_scale_lr = dict(enable=False, base_batch_size=64)
