# The digits student distilled with KD whose temperature is learnt
# adversarially as in CTKD: one global temperature in [1, 21], trained
# through a gradient-reversal layer whose coefficient grows from 0 to 1 along
# a cosine curriculum over the first 5 epochs. Same schedule and seed as
# kd_digits.py; CTKD starts at its T=4.
_base_ = ['./kd_digits.py']

model = dict(
    temperature_source=dict(
        _delete_=True,
        type='CTKDTemperature',
        mode='global',
        lambda_min=0.0,
        lambda_max=1.0,
        curriculum_epochs=5,
        initial_temperature=4.0))
# Log the learnt temperature as train/temperature/T_mean (and std, min, max).
custom_hooks = [dict(type='TemperatureLoggerHook', interval=10)]
