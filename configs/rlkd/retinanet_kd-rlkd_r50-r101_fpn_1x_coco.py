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
        # both ways; the range is a choice, not tuned on COCO.
        agent=dict(
            temperature_range=(0.5, 8.0),
            initial_temperature=1.0,
            rollout_batches=16),
        warmup_epochs=1,
        train_interval=4,
        train_epochs=1,
        exploration_phases=1)
]
