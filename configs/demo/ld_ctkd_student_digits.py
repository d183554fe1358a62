# The demo student distilled with LD whose temperature is learnt
# adversarially as in CTKD: one global temperature in [1, 21], trained
# through a gradient-reversal layer whose coefficient grows from 0 to 1 along
# a cosine curriculum over the first 6 epochs. Same schedule and seed as
# ld_student_digits.py; CTKD starts at the fixed LD temperature, T=10.
_base_ = ['./ld_student_digits.py']

model = dict(
    temperature_source=dict(
        _delete_=True,
        type='CTKDTemperature',
        mode='global',
        lambda_min=0.0,
        lambda_max=1.0,
        curriculum_epochs=6,
        initial_temperature=10.0))
# No weight decay on the temperature parameters. Decay would pull the sigmoid
# logit towards 0, so T towards 11, the middle of [1, 21].
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={'temperature_source': dict(decay_mult=0.0)}))
# Log the learnt temperature: the log shows temperature/T_mean, std, min, max.
custom_hooks = [dict(type='TemperatureLoggerHook', interval=10)]
