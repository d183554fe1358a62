# RLKD schedule on CIFAR-100: 20 warm-up epochs at the fixed T=4, then the
# agent picks every temperature and trains during one epoch out of every
# 20. Efficient exploration runs in the first agent-training epoch.
# NOTE: the 20s come from the configs of the RLKD authors' code
# (github.com/Zhengbo-Zhang/ITKD, config/cifar100/rl/*.yaml: warmup_epoch
# 20, rl_epoch 20). Their meaning is read from the key names, because the
# training code that uses them was not checked.
# A config that uses this file also sets model.temperature_source to
# dict(type='RLKDTemperature', warmup_temperature=4.0).
custom_hooks = [
    dict(
        type='RLKDHook',
        agent=dict(temperature_range=(1.0, 10.0), initial_temperature=4.0),
        warmup_epochs=20,
        train_interval=20,
        train_epochs=1,
        exploration_phases=1)
]
