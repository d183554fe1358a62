# The digits student distilled with logit-standardised KD: teacher and
# student logits are z-scored separately inside the loss, then softened by
# tau=2, the LS-KD paper's CIFAR-100 value. Same schedule and seed as
# kd_digits.py.
_base_ = ['./kd_digits.py']

model = dict(
    temperature_source=dict(
        _delete_=True, type='LogitStandardTemperature', base_temperature=2.0),
    kd_loss=dict(
        _delete_=True,
        type='LogitStandardKDLoss', class_reduction='sum', reduction='mean'))
