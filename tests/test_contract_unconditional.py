"""The unconditional family's contract, over every registered unconditional variant."""
import pytest

from contract import assert_adversarial_counters, assert_base_contract, cases, fit_tiny


@pytest.mark.parametrize("name, data", cases("unconditional"))
def test_unconditional_contract(name, data):
    cfg, result = fit_tiny(name, data)
    assert_base_contract(name, data, cfg, result)
    assert_adversarial_counters(cfg, result.module)
    generated = result.module.generate(3)
    assert generated.labels is None
    with pytest.raises(ValueError, match="unconditional"):
        result.module.generate(3, labels=[0, 1, 2])
