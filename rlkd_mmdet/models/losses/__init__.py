from .instance_kd_loss import (InstanceKDLoss, instance_kd_binary_loss,
                               instance_kd_kl_div_loss)

__all__ = [
    'InstanceKDLoss', 'instance_kd_kl_div_loss', 'instance_kd_binary_loss'
]
