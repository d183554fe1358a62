# retinanet_kd_r50-r101_fpn_1x_coco.py with the fixed temperature replaced
# by RLKD's per-anchor temperature (published baselines: see there).
_base_ = './retinanet_kd_r50-r101_fpn_1x_coco.py'

model = dict(
    temperature_source=dict(
        _delete_=True, type='RLKDTemperature', warmup_temperature=1.0))

custom_hooks = [
    dict(
        type='RLKDHook',
        # The untrained agent starts at the fixed-T run's T=1 and can move
        # both ways. The KD term grows with T^2, so a small initial spread
        # (log_std_init) keeps the first temperatures near T=1. The range
        # and the spread are choices, not tuned on COCO.
        agent=dict(
            temperature_range=(0.5, 4.0),
            initial_temperature=1.0,
            log_std_init=-1.5,
            rollout_batches=16),
        warmup_epochs=1,
        train_interval=4,
        train_epochs=1,
        exploration_phases=1)
]
