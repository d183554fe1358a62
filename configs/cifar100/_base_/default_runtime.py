# Runtime of the classification configs. Every epoch is evaluated and the
# best checkpoint is kept next to the regular ones, so both the best and the
# final top-1 can be compared with published figures.
default_scope = 'mmdet'
custom_imports = dict(
    imports=['rlkd_mmdet.cls', 'rlkd_mmdet.models', 'rlkd_mmdet.engine'],
    allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=100),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        interval=40,
        max_keep_ckpts=2,
        save_best='accuracy/top1',
        rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'))
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='Visualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
