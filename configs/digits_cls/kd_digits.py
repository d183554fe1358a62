# The digits student distilled with vanilla KD: 0.1 * CE + 0.9 * T^2 * KL at
# a fixed T=4. Same schedule and seed as student_digits.py.
# tools/demo_cls.py sets teacher_ckpt to the checkpoint of teacher_digits.py.
_base_ = ['./student_digits.py']

model = dict(
    _delete_=True,
    type='RLKDClassifierDistiller',
    student=_base_.student_model,
    teacher_config='{{fileDirname}}/teacher_digits.py',
    teacher_ckpt='work_dirs/demo_cls/teacher/epoch_10.pth',
    temperature_source=dict(type='FixedTemperature', temperature=4.0),
    ce_weight=0.1,
    kd_weight=0.9,
    kd_loss='kd')
