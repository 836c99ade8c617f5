"""Generation weighting, in Python: the twin of methods/generation-weighting/method.ts.

Amin, Bie, Kong, Syed & Vassilvitskii, "Learning from Synthetic Data: Limitations of ERM" (2026).
Round s ≥ 1 brings n_s samples, a share a (the paper's α, `contamination`) synthetic and the rest
real; the fit of generation t uses every round s = 1 … t+1, each sample of round s with weight
w_s = s^gamma (gamma = 0: ERM on the union). Round s is generation s − 1 here: generation 0's real
data is round 1, with weight 1 = 1^gamma. The derivation of the weights and of γ* = a/(1 − a) is in
methods/generation-weighting/method.ts; this file shows the same rule through the Python protocol.
"""
from collapse_bench import Pool


def round_weight(generation, gamma):
    """w_s = s^gamma for round s = generation + 1."""
    return float(generation + 1) ** gamma


def pool(ctx, params):
    a, gamma, n = params["contamination"], params["gamma"], ctx.size

    # Round t+1: n_t slots from the mixture (1 − a)·p* + a·p̂_{t−1}.
    if params["split"] == "exact":
        k = n - round_half_up(a * n)  # real slots
        new_round = ([ctx.real(k)] if k > 0 else []) + ([ctx.synthetic(n - k)] if k < n else [])
        new_parts = [whole(batch) for batch in new_round]
    elif a <= 0:
        new_parts = [whole(ctx.real(n))]
    elif a >= 1:
        new_parts = [whole(ctx.synthetic(n))]
    else:
        # The harness draws the split's recipe from the method's stream, as harness/pool.ts does.
        new_parts = ctx.bernoulli_split(ctx.real(n), ctx.synthetic(n), 1 - a)

    # Earlier rounds keep their weights (ctx.previous is this method's pool of generation t−1).
    w = round_weight(ctx.t, gamma)
    return Pool(ctx.previous.parts + [ctx.scale_weights(part, w) for part in new_parts])


def whole(batch):
    from collapse_bench import Part

    return Part(batch)


def round_half_up(x):
    """JavaScript's Math.round (halves go up), which the TypeScript twin uses."""
    import math

    return math.floor(x + 0.5)
