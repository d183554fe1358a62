# KD + RLKD on ImageNet: the vanilla KD of kd_resnet34_resnet18_imagenet.py
# with temperatures chosen per image by the RLKD agent.
# Published top-1 (%) to reproduce:
#   vanilla KD 71.03, from the DKD README, github.com/megvii-research/
#     mdistiller.
#   KD + RLKD: not found, because the result tables of RLKD (arXiv
#     2407.00115) could not be opened.
_base_ = ['./kd_resnet34_resnet18_imagenet.py']

model = dict(
    temperature_source=dict(
        _delete_=True, type='RLKDTemperature', warmup_temperature=1.0))

# Warm-up and agent-training interval of the RLKD authors' ImageNet config
# (github.com/Zhengbo-Zhang/ITKD, config/imagenet/rl/rl-rs34-rs18.yaml:
# warmup_epoch 20, rl_epoch 20).
# NOTE: that config distils at T=4 with other loss weights. The range and
# start of the agent's temperature around this config's T=1 are a guess.
custom_hooks = [
    dict(
        type='RLKDHook',
        agent=dict(temperature_range=(0.5, 4.0), initial_temperature=1.0),
        warmup_epochs=20,
        train_interval=20,
        train_epochs=1,
        exploration_phases=1)
]
