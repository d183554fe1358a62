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
# No weight decay on the temperature parameters. Decay would pull the sigmoid
# logit towards 0, so T towards 11, the middle of [1, 21].
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={'temperature_source': dict(decay_mult=0.0)}))
# Log the learnt temperature: the log shows temperature/T_mean, std, min, max.
custom_hooks = [dict(type='TemperatureLoggerHook', interval=10)]
