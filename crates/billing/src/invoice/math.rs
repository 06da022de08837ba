//! Integer money arithmetic: half-even rounding, rates in basis points and the
//! largest-remainder split. Products are taken in `i128`, so nothing here overflows silently.

use std::num::NonZeroU64;

use plinth_kernel::MoneyError;

/// Basis points in 100 % (1 bp = 0.01 %).
pub const BPS_PER_WHOLE: u32 = 10_000;

/// `numerator / denominator` rounded to the nearest integer, ties to the even one
/// ("banker's rounding", IEEE 754's default): 0.5 → 0, 1.5 → 2, 2.5 → 2, −2.5 → −2.
/// Rounding many amounts this way does not drift up on average as half-up does.
#[must_use]
pub fn div_round_half_even(numerator: i128, denominator: NonZeroU64) -> i128 {
    let d = i128::from(denominator.get());
    // Euclidean division: 0 ≤ r < d whatever the numerator's sign.
    let q = numerator.div_euclid(d);
    let r = numerator.rem_euclid(d);
    match (2 * r).cmp(&d) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal if q % 2 == 0 => q,
        std::cmp::Ordering::Equal => q + 1,
    }
}

/// `amount × bps / 10 000` rounded half-even to the minor unit: what a rate in basis
/// points (825 = 8.25 %) of an amount comes to.
///
/// # Errors
/// [`MoneyError::Overflow`] when the result does not fit in an `i64`.
pub fn apply_bps(amount: i64, bps: u32) -> Result<i64, MoneyError> {
    let whole = NonZeroU64::new(u64::from(BPS_PER_WHOLE)).ok_or(MoneyError::Overflow)?;
    let product = i128::from(amount) * i128::from(bps);
    i64::try_from(div_round_half_even(product, whole)).map_err(|_| MoneyError::Overflow)
}

/// Splits `total` over `weights` in proportion to them, in whole minor units, so that the
/// shares add up to exactly `total` (the largest-remainder method): every share is first
/// rounded down, then the units left over go one each to the shares with the largest
/// remainders, the earlier weight first on a tie. Each share is then within one unit of its
/// exact proportion, and a zero weight gets zero.
///
/// Returns `None` when `total` or a weight is negative, or when the weights add up to zero
/// while `total` is not zero.
#[must_use]
pub fn allocate(total: i64, weights: &[i64]) -> Option<Vec<i64>> {
    if total < 0 || weights.iter().any(|w| *w < 0) {
        return None;
    }
    let sum: i128 = weights.iter().map(|w| i128::from(*w)).sum();
    if sum == 0 {
        return (total == 0).then(|| vec![0; weights.len()]);
    }
    let total = i128::from(total);
    let mut shares = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for w in weights {
        // total ≤ 2^63 and w ≤ 2^63: the product fits in i128.
        let product = total * i128::from(*w);
        shares.push(product / sum);
        remainders.push(product % sum);
    }
    let left_over = total - shares.iter().sum::<i128>();
    // left_over = Σ remainders / sum < number of weights.
    let left_over = usize::try_from(left_over).ok()?;
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| remainders[b].cmp(&remainders[a]).then(a.cmp(&b)));
    for &i in order.iter().take(left_over) {
        shares[i] += 1;
    }
    shares.into_iter().map(|s| i64::try_from(s).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenths(n: i128) -> i128 {
        div_round_half_even(n, NonZeroU64::new(10).unwrap())
    }

    #[test]
    fn ties_round_to_the_even_neighbour() {
        assert_eq!(tenths(5), 0, "0.5 → 0");
        assert_eq!(tenths(15), 2, "1.5 → 2");
        assert_eq!(tenths(25), 2, "2.5 → 2");
        assert_eq!(tenths(35), 4, "3.5 → 4");
        assert_eq!(tenths(-5), 0, "−0.5 → 0");
        assert_eq!(tenths(-15), -2, "−1.5 → −2");
        assert_eq!(tenths(-25), -2, "−2.5 → −2");
    }

    #[test]
    fn non_ties_round_to_the_nearest() {
        assert_eq!(tenths(14), 1);
        assert_eq!(tenths(16), 2);
        assert_eq!(tenths(24), 2);
        assert_eq!(tenths(26), 3);
        assert_eq!(tenths(-14), -1);
        assert_eq!(tenths(-16), -2);
        assert_eq!(tenths(40), 4);
        assert_eq!(tenths(0), 0);
    }

    #[test]
    fn rates_in_basis_points() {
        assert_eq!(apply_bps(5, 1000), Ok(0), "10 % of 5 = 0.5 → 0");
        assert_eq!(apply_bps(15, 1000), Ok(2), "10 % of 15 = 1.5 → 2");
        assert_eq!(apply_bps(25, 1000), Ok(2), "10 % of 25 = 2.5 → 2");
        assert_eq!(apply_bps(5397, 825), Ok(445), "445.2525");
        assert_eq!(apply_bps(810, 825), Ok(67), "66.825");
        assert_eq!(apply_bps(i64::MAX, 10_000), Ok(i64::MAX));
        assert_eq!(apply_bps(i64::MAX, 10_001), Err(MoneyError::Overflow));
    }

    #[test]
    fn allocation_is_exact_and_ties_go_to_the_earlier_line() {
        assert_eq!(allocate(2, &[1, 1, 1]), Some(vec![1, 1, 0]));
        assert_eq!(allocate(3, &[1, 1, 1, 1]), Some(vec![1, 1, 1, 0]));
        assert_eq!(
            allocate(2000, &[1000, 2000, 3001]),
            Some(vec![333, 667, 1000])
        );
        assert_eq!(allocate(10, &[0, 5, 0]), Some(vec![0, 10, 0]));
        assert_eq!(allocate(0, &[0, 0]), Some(vec![0, 0]));
        assert_eq!(allocate(0, &[]), Some(vec![]));
        assert_eq!(allocate(1, &[0, 0]), None);
        assert_eq!(allocate(-1, &[1]), None);
        assert_eq!(allocate(1, &[2, -1]), None);
        assert_eq!(
            allocate(i64::MAX, &[i64::MAX, i64::MAX]),
            Some(vec![i64::MAX / 2 + 1, i64::MAX / 2])
        );
    }

    #[test]
    fn allocation_sums_exactly_and_stays_within_one_unit() {
        // Deterministic pseudo-random cases (xorshift64).
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = |bound: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % bound
        };
        for _ in 0..2000 {
            let n = 1 + next(7) as usize;
            let weights: Vec<i64> = (0..n).map(|_| next(1_000_000) as i64).collect();
            let sum: i64 = weights.iter().sum();
            let total = if sum == 0 {
                0
            } else {
                next(sum as u64 + 1) as i64
            };
            let shares = allocate(total, &weights).unwrap();
            assert_eq!(shares.iter().sum::<i64>(), total, "{weights:?} {total}");
            for (share, weight) in shares.iter().zip(&weights) {
                assert!(
                    *share <= *weight,
                    "a share above its weight: {weights:?} {total}"
                );
                if sum > 0 {
                    let exact = i128::from(total) * i128::from(*weight);
                    let scaled = i128::from(*share) * i128::from(sum);
                    assert!(
                        (scaled - exact).abs() < i128::from(sum),
                        "{weights:?} {total}"
                    );
                }
            }
        }
    }
}
