# Ablation of ld_rlkd_student_digits.py. Without efficient exploration (no mixing of uncertain images).
_base_ = ['./ld_rlkd_student_digits.py']

custom_hooks = [
    dict(
        type='RLKDHook',
        agent=dict(
            temperature_range=(1.0, 20.0),
            initial_temperature=10.0,
            rollout_batches=8,
            batch_size=256,
            exploration=None),
        warmup_epochs=1,
        train_interval=1,
        train_epochs=1,
        exploration_phases=2)
]
