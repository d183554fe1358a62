# The two-stage demo student distilled with RoI KD whose per-RoI
# temperatures come from the RLKD agent. Same schedule and seed as
# faster-rcnn_kd_student_digits.py.
_base_ = ['./faster-rcnn_kd_student_digits.py']

model = dict(
    temperature_source=dict(
        _delete_=True, type='RLKDTemperature', warmup_temperature=4.0))

custom_hooks = [
    dict(
        type='RLKDHook',
        # The untrained agent starts at the fixed-T run's T=4.
        agent=dict(
            temperature_range=(1.0, 10.0),
            initial_temperature=4.0,
            rollout_batches=8,
            batch_size=256),
        warmup_epochs=1,
        # A short schedule: the agent trains every epoch after warm-up.
        train_interval=1,
        train_epochs=1,
        exploration_phases=2)
]
