"""Hook that logs the temperatures of any temperature source."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.logging import MessageHub
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS
from torch import Tensor


def update_temperature_scalars(message_hub: MessageHub, prefix: str,
                               temperature: Optional[Tensor]) -> None:
    """Write mean, std, min, max and count of ``temperature`` to the hub.

    The scalars are ``<prefix>/T_mean``, ``T_std``, ``T_min``, ``T_max`` and
    ``num_instances``. An empty or missing batch writes nothing.
    """
    if temperature is None or temperature.numel() == 0:
        return
    t = temperature.detach().float()
    message_hub.update_scalar(f'{prefix}/T_mean', float(t.mean()))
    message_hub.update_scalar(f'{prefix}/T_std',
                              float(t.std()) if t.numel() > 1 else 0.0)
    message_hub.update_scalar(f'{prefix}/T_min', float(t.min()))
    message_hub.update_scalar(f'{prefix}/T_max', float(t.max()))
    message_hub.update_scalar(f'{prefix}/num_instances', float(t.numel()))


@HOOKS.register_module()
class TemperatureLoggerHook(Hook):
    """Log the KD temperatures of the last training batch.

    Works with every temperature source of this project, for example to
    watch CTKD's learnt temperature reach its bounds. The scalars are
    ``train/temperature/T_mean`` and so on, which the training log and
    ``scalars.json`` show as ``temperature/T_mean``. ``RLKDHook`` logs the
    same statistics as ``rlkd/T_mean`` and needs no extra hook.

    Args:
        interval (int): Iterations between logs. Defaults to 10.
    """

    def __init__(self, interval: int = 10) -> None:
        if interval < 1:
            raise ValueError(f'interval must be at least 1, got {interval}')
        self.interval = interval

    def before_run(self, runner) -> None:
        """Check that the model has a temperature source."""
        self._source(runner)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        """Write the temperature statistics every ``interval`` iterations."""
        if not self.every_n_train_iters(runner, self.interval):
            return
        update_temperature_scalars(runner.message_hub, 'train/temperature',
                                   self._source(runner).last_temperature)

    @staticmethod
    def _source(runner):
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        source = getattr(model, 'temperature_source', None)
        if source is None:
            raise TypeError(
                'TemperatureLoggerHook needs a distiller with a '
                f'temperature_source, got {type(model).__name__}; remove '
                'the hook from custom_hooks')
        return source
