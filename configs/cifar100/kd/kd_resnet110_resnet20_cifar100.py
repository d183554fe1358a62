# Vanilla KD: ResNet-110 teacher, ResNet-20 student, CE 0.1 + KD 0.9, T=4.
# Train the teacher first with ../teachers/resnet110_cifar100.py.
# Published top-1 (%) of ResNet-110 -> ResNet-20 on CIFAR-100, the target to
# reproduce:
#   teacher 74.31, student alone 69.06, vanilla KD 70.67, from the CRD README,
#     github.com/HobbitLong/RepDistiller, benchmark tables.
#   KD + RLKD 71.44: RLKD (arXiv 2407.00115v3) section 5.1, which compares it
#     with a vanilla KD of 70.66; read in the table extraction
#     huggingface.co/spaces/linbojunzi/perturb_for_table
#     (table_result/2407.00115v3_output.json).
_base_ = ['../_base_/kd.py']

model = dict(
    teacher_config='{{fileDirname}}/../teachers/resnet110_cifar100.py',
    teacher_ckpt='work_dirs/resnet110_cifar100/epoch_240.pth',
    student=dict(
        backbone=dict(type='CifarResNet', depth=20),
        head=dict(in_channels=64)))
