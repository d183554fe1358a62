# KD + RLKD: the vanilla KD of ../kd/kd_resnet32x4_shufflenetv2_cifar100.py
# with temperatures chosen per image by the RLKD agent.
# Published top-1 (%) of ResNet-32x4 -> ShuffleNetV2 on CIFAR-100, the target
# to reproduce:
#   teacher 79.42, student alone 71.82, vanilla KD 74.45, from the CRD README,
#     github.com/HobbitLong/RepDistiller, benchmark tables.
#   KD + RLKD: not found, because the result tables of RLKD (arXiv 2407.00115)
#     could not be opened.
_base_ = [
    '../kd/kd_resnet32x4_shufflenetv2_cifar100.py', '../_base_/rlkd_hook.py'
]

model = dict(
    temperature_source=dict(
        _delete_=True, type='RLKDTemperature', warmup_temperature=4.0))
