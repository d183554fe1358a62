# The demo student distilled with LD whose per-location temperatures come
# from the RLKD agent. Same schedule and seed as ld_student_digits.py.
_base_ = ['./ld_student_digits.py']

model = dict(
    temperature_source=dict(
        _delete_=True, type='RLKDTemperature', warmup_temperature=10.0))

# The untrained agent starts at LD's T=10 and can move both ways. Reward
# calibration, efficient exploration and the uncertainty feature are on by
# default; the *_no-* configs beside this one switch each off.
rlkd_agent = dict(
    temperature_range=(1.0, 20.0),
    initial_temperature=10.0,
    rollout_batches=8,
    batch_size=256)
custom_hooks = [
    dict(
        type='RLKDHook',
        agent=rlkd_agent,
        warmup_epochs=1,
        # A short schedule: the agent trains every epoch after warm-up.
        train_interval=1,
        train_epochs=1,
        exploration_phases=2)
]
