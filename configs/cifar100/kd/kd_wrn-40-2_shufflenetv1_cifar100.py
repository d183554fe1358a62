# Vanilla KD: WRN-40-2 teacher, ShuffleNetV1 student, CE 0.1 + KD 0.9, T=4.
# Train the teacher first with ../teachers/wrn-40-2_cifar100.py.
# Published top-1 (%) of WRN-40-2 -> ShuffleNetV1 on CIFAR-100, the target to
# reproduce:
#   teacher 75.61, student alone 70.50, vanilla KD 74.83, from the CRD README,
#     github.com/HobbitLong/RepDistiller, benchmark tables.
#   KD + RLKD: not found, because the result tables of RLKD (arXiv 2407.00115)
#     could not be opened.
_base_ = ['../_base_/kd.py']

model = dict(
    teacher_config='{{fileDirname}}/../teachers/wrn-40-2_cifar100.py',
    teacher_ckpt='work_dirs/wrn-40-2_cifar100/epoch_240.pth',
    student=dict(
        backbone=dict(type='CifarShuffleNetV1'),
        head=dict(in_channels=960)))

# The CRD and DKD benchmarks train the ShuffleNet and MobileNet students with
# lr 0.01 (mdistiller configs/cifar100/dkd/*.yaml).
optim_wrapper = dict(optimizer=dict(lr=0.01))
