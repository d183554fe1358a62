# The demo student distilled with LD at mmdet's fixed temperature (T=10).
_base_ = ['./gfl_student_digits.py']
custom_imports = dict(
    imports=['rlkd_mmdet.models', 'rlkd_mmdet.engine'],
    allow_failed_imports=False)

teacher_config = 'configs/demo/gfl_teacher_digits.py'
teacher_ckpt = 'work_dirs/demo/teacher/epoch_12.pth'
model = dict(
    type='RLKDSingleStageDetector',
    teacher_config=teacher_config,
    teacher_ckpt=teacher_ckpt,
    temperature_source=dict(type='FixedTemperature', temperature=10.0),
    bbox_head=dict(
        type='RLKDLDHead',
        loss_ld=dict(type='InstanceKDLoss', loss_weight=0.25)))
