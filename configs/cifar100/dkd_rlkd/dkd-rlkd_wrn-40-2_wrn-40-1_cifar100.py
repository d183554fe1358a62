# DKD + RLKD: DKD with the settings of mdistiller (CE 1.0, DKD 1.0, alpha 1,
# T=4 until the agent acts, 20-epoch loss warm-up) and beta 6 from mdistiller
# configs/cifar100/dkd/wrn40_2_wrn_40_1.yaml, with temperatures chosen per
# image by the RLKD agent.
# Published top-1 (%) of WRN-40-2 -> WRN-40-1 on CIFAR-100, the target to
# reproduce:
#   teacher 75.61, student alone 71.98, vanilla KD 73.54, from the CRD README,
#     github.com/HobbitLong/RepDistiller, benchmark tables.
#   KD + RLKD: not found, because the result tables of RLKD (arXiv 2407.00115)
#     could not be opened.
#   DKD 74.81, from the DKD README, github.com/megvii-research/mdistiller.
#   DKD + RLKD: not found.
_base_ = [
    '../kd/kd_wrn-40-2_wrn-40-1_cifar100.py', '../_base_/rlkd_hook.py'
]

model = dict(
    ce_weight=1.0,
    kd_weight=1.0,
    kd_loss=dict(
        _delete_=True,
        type='InstanceDKDLoss',
        alpha=1.0,
        beta=6.0,
        warmup_epochs=20),
    temperature_source=dict(
        _delete_=True, type='RLKDTemperature', warmup_temperature=4.0))
