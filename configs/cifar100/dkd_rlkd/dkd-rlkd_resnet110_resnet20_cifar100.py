# DKD + RLKD: DKD with the settings of mdistiller (CE 1.0, DKD 1.0, alpha 1,
# T=4 until the agent acts, 20-epoch loss warm-up) and beta 2 from dkd_beta of
# config/cifar100/rl/rl-dkd-rs110-rs20.yaml in github.com/Zhengbo-Zhang/ITKD,
# with temperatures chosen per image by the RLKD agent.
# Published top-1 (%) of ResNet-110 -> ResNet-20 on CIFAR-100, the target to
# reproduce:
#   teacher 74.31, student alone 69.06, vanilla KD 70.67, from the CRD README,
#     github.com/HobbitLong/RepDistiller, benchmark tables.
#   KD + RLKD 71.44: RLKD (arXiv 2407.00115v3) section 5.1, which compares it
#     with a vanilla KD of 70.66; read in the table extraction
#     huggingface.co/spaces/linbojunzi/perturb_for_table
#     (table_result/2407.00115v3_output.json).
#   DKD: not found, the DKD README has no ResNet-110 -> ResNet-20 result.
#   DKD + RLKD: not found.
_base_ = [
    '../kd/kd_resnet110_resnet20_cifar100.py', '../_base_/rlkd_hook.py'
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
