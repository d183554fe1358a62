# DKD + RLKD: DKD with the settings of mdistiller (CE 1.0, DKD 1.0, alpha 1,
# T=4 until the agent acts, 20-epoch loss warm-up) and beta 2 from mdistiller
# configs/cifar100/dkd/res56_res20.yaml, with temperatures chosen per image by
# the RLKD agent.
# Published top-1 (%) of ResNet-56 -> ResNet-20 on CIFAR-100, the target to
# reproduce:
#   teacher 72.34, student alone 69.06, vanilla KD 70.66, from the CRD README,
#     github.com/HobbitLong/RepDistiller, benchmark tables.
#   KD + RLKD: not found, because the result tables of RLKD (arXiv 2407.00115)
#     could not be opened.
#   DKD 71.97, from the DKD README, github.com/megvii-research/mdistiller.
#   DKD + RLKD: not found.
_base_ = [
    '../kd/kd_resnet56_resnet20_cifar100.py', '../_base_/rlkd_hook.py'
]

model = dict(
    ce_weight=1.0,
    kd_weight=1.0,
    kd_loss=dict(
        _delete_=True,
        type='InstanceDKDLoss',
        alpha=1.0,
        beta=2.0,
        warmup_epochs=20),
    temperature_source=dict(
        _delete_=True, type='RLKDTemperature', warmup_temperature=4.0))
