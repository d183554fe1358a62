# Ablation of ld_rlkd_student_digits.py. Without instance reward
# calibration: the batch reward sits on the last instance, and
# gamma = gae_lambda = 1 carry it to every instance.
_base_ = ['./ld_rlkd_student_digits.py']

custom_hooks = [
    dict(
        type='RLKDHook',
        agent=dict(
            temperature_range=(1.0, 20.0),
            initial_temperature=10.0,
            rollout_batches=8,
            batch_size=256,
            calibration=None,
            gamma=1.0,
            gae_lambda=1.0),
        warmup_epochs=1,
        train_interval=1,
        train_epochs=1,
        exploration_phases=2)
]
