# KD + RLKD: the vanilla KD of ../kd/kd_resnet110_resnet20_cifar100.py with
# temperatures chosen per image by the RLKD agent.
# Published top-1 (%) of ResNet-110 -> ResNet-20 on CIFAR-100, the target to
# reproduce:
#   teacher 74.31, student alone 69.06, vanilla KD 70.67, from the CRD README,
#     github.com/HobbitLong/RepDistiller, benchmark tables.
#   KD + RLKD 71.44: RLKD (arXiv 2407.00115v3) section 5.1, which compares it
#     with a vanilla KD of 70.66; read in the table extraction
#     huggingface.co/spaces/linbojunzi/perturb_for_table
#     (table_result/2407.00115v3_output.json).
_base_ = [
    '../kd/kd_resnet110_resnet20_cifar100.py', '../_base_/rlkd_hook.py'
]

model = dict(
    temperature_source=dict(
        _delete_=True, type='RLKDTemperature', warmup_temperature=4.0))
