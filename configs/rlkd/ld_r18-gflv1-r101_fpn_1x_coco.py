# mmdet's LD R-18 config on the RLKD distiller with a fixed temperature
# (T=10, as mmdet's LD): the baseline of ld-rlkd_r18-gflv1-r101_fpn_1x_coco.py
# in the same pipeline.
_base_ = './ld-rlkd_r18-gflv1-r101_fpn_1x_coco.py'

model = dict(
    temperature_source=dict(
        _delete_=True, type='FixedTemperature', temperature=10.0))
custom_hooks = []
