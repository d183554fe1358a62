# The digits student distilled with KD whose per-image temperatures come
# from the RLKD agent. Same schedule and seed as kd_digits.py.
_base_ = ['./kd_digits.py']

model = dict(
    temperature_source=dict(
        _delete_=True, type='RLKDTemperature', warmup_temperature=4.0))

# A short schedule: the agent acts after one warm-up epoch and trains during
# every other epoch. Each PPO update uses 8 batches of 32 images.
custom_hooks = [
    dict(
        type='RLKDHook',
        agent=dict(
            temperature_range=(1.0, 10.0),
            initial_temperature=4.0,
            rollout_batches=8),
        warmup_epochs=1,
        train_interval=2,
        train_epochs=1,
        exploration_phases=1)
]
