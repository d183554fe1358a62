# The demo student distilled with logit-standardised LD: the teacher's and
# the student's box-edge logits are z-scored separately inside the loss and
# then softened by tau=2, the LS-KD paper's CIFAR-100 value. Same schedule
# and seed as ld_student_digits.py.
_base_ = ['./ld_student_digits.py']

model = dict(
    temperature_source=dict(
        _delete_=True, type='LogitStandardTemperature', base_temperature=2.0),
    bbox_head=dict(
        loss_ld=dict(
            _delete_=True, type='LogitStandardKDLoss', loss_weight=0.25)))
