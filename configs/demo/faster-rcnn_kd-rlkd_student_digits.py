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
        # The untrained agent starts at the fixed-T run's T=4. Its small
        # initial spread (log_std_init) keeps the first temperatures near
        # T=4, because the KD term grows with T^2: with the default spread
        # and T up to 10, the KD term reached 9 times loss_cls.
        agent=dict(
            temperature_range=(1.0, 8.0),
            initial_temperature=4.0,
            log_std_init=-1.5,
            rollout_batches=8,
            batch_size=256),
        warmup_epochs=1,
        # A short schedule: the agent trains every epoch after warm-up.
        train_interval=1,
        train_epochs=1,
        exploration_phases=1)
]
