//! Ordering a route's checkpoints for a short walk over their floor-plan
//! coordinates: nearest neighbour from the first checkpoint, then 2-opt and
//! or-opt until no reversal or move of a short run shortens the walk. The walk is an open path (the
//! inspector does not return to the start). Checkpoints without coordinates
//! keep their relative order at the end.
//!
//! Quality: on random instances small enough to solve exactly
//! ([`shortest_exact`]), the tests hold the heuristic within 1.05× of the
//! optimum, and never longer than the input order.

/// Length of walking `order` over `points` (straight lines between consecutive points).
pub fn length(points: &[(f64, f64)], order: &[usize]) -> f64 {
    order
        .windows(2)
        .map(|w| dist(points[w[0]], points[w[1]]))
        .sum()
}

fn dist(a: (f64, f64), b: (f64, f64)) -> f64 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

/// A short walk over `points` starting at index 0: nearest neighbour, then 2-opt.
/// Returns a permutation of `0..points.len()`.
pub fn short_walk(points: &[(f64, f64)]) -> Vec<usize> {
    let n = points.len();
    if n <= 2 {
        return (0..n).collect();
    }
    // Nearest neighbour from the start.
    let mut order = Vec::with_capacity(n);
    let mut left: Vec<usize> = (1..n).collect();
    order.push(0);
    while !left.is_empty() {
        let here = points[*order.last().expect("started")];
        let (i, _) = left
            .iter()
            .enumerate()
            .min_by(|a, b| dist(here, points[*a.1]).total_cmp(&dist(here, points[*b.1])))
            .expect("points left");
        order.push(left.swap_remove(i));
    }
    improve(points, &mut order);
    // Improve the given order as well: the result is never longer than the input.
    let mut given: Vec<usize> = (0..n).collect();
    improve(points, &mut given);
    if length(points, &given) < length(points, &order) {
        given
    } else {
        order
    }
}

/// 2-opt and or-opt (moving runs of 1–3 checkpoints elsewhere, either way
/// round) until neither shortens the walk; bounded rounds.
fn improve(points: &[(f64, f64)], order: &mut Vec<usize>) {
    for _ in 0..20 {
        two_opt(points, order);
        if !or_opt(points, order) {
            break;
        }
    }
}

/// One or-opt pass; whether it changed anything.
fn or_opt(points: &[(f64, f64)], order: &mut Vec<usize>) -> bool {
    let n = order.len();
    let mut changed = false;
    for len in 1..=3.min(n.saturating_sub(2)) {
        let mut i = 1;
        while i + len <= n {
            let current = length(points, order);
            let mut rest = order.clone();
            let run: Vec<usize> = rest.drain(i..i + len).collect();
            let mut best: Option<(f64, Vec<usize>)> = None;
            for at in 1..=rest.len() {
                if at == i {
                    continue;
                }
                for reversed in [false, true] {
                    let mut cand = rest.clone();
                    let mut piece = run.clone();
                    if reversed {
                        piece.reverse();
                    }
                    cand.splice(at..at, piece);
                    let l = length(points, &cand);
                    if l + 1e-9 < best.as_ref().map_or(current, |b| b.0) {
                        best = Some((l, cand));
                    }
                }
            }
            if let Some((_, better)) = best {
                *order = better;
                changed = true;
            }
            i += 1;
        }
    }
    changed
}

/// Reverses stretches `order[i..=j]` (never moving the start) while that shortens the path.
fn two_opt(points: &[(f64, f64)], order: &mut [usize]) {
    let n = order.len();
    let mut improved = true;
    // Each pass is O(n²); a pass that changes nothing ends it. Bounded for safety.
    let mut passes = 0;
    while improved && passes < 100 {
        improved = false;
        passes += 1;
        for i in 1..n - 1 {
            for j in i + 1..n {
                let a = points[order[i - 1]];
                let b = points[order[i]];
                let c = points[order[j]];
                let before = dist(a, b) + order.get(j + 1).map_or(0.0, |&e| dist(c, points[e]));
                let after = dist(a, c) + order.get(j + 1).map_or(0.0, |&e| dist(b, points[e]));
                if after + 1e-9 < before {
                    order[i..=j].reverse();
                    improved = true;
                }
            }
        }
    }
}

/// The shortest open walk from index 0 over all points, by dynamic programming
/// over subsets (Held–Karp). For checking the heuristic; n ≤ 12.
pub fn shortest_exact(points: &[(f64, f64)]) -> f64 {
    let n = points.len();
    assert!(n <= 12, "exact search is for small cases");
    if n <= 1 {
        return 0.0;
    }
    let full = 1usize << n;
    let mut best = vec![f64::INFINITY; full * n];
    best[n] = 0.0; // subset {0}, ending at 0
    for set in 1..full {
        if set & 1 == 0 {
            continue;
        }
        for end in 0..n {
            let cur = best[set * n + end];
            if !cur.is_finite() || set & (1 << end) == 0 {
                continue;
            }
            for next in 0..n {
                if set & (1 << next) != 0 {
                    continue;
                }
                let s = set | (1 << next);
                let v = cur + dist(points[end], points[next]);
                if v < best[s * n + next] {
                    best[s * n + next] = v;
                }
            }
        }
    }
    (0..n)
        .map(|end| best[(full - 1) * n + end])
        .fold(f64::INFINITY, f64::min)
}

/// Orders items that may lack coordinates: those with coordinates by
/// [`short_walk`] from the first of them, the rest after, in their given order.
pub fn order_items<T: Copy>(items: &[(T, Option<(f64, f64)>)]) -> Vec<T> {
    let placed: Vec<(T, (f64, f64))> = items
        .iter()
        .filter_map(|(t, p)| p.map(|p| (*t, p)))
        .collect();
    let points: Vec<(f64, f64)> = placed.iter().map(|(_, p)| *p).collect();
    let mut out: Vec<T> = short_walk(&points)
        .into_iter()
        .map(|i| placed[i].0)
        .collect();
    out.extend(items.iter().filter(|(_, p)| p.is_none()).map(|(t, _)| *t));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_permutation(order: &[usize], n: usize) -> bool {
        let mut seen = vec![false; n];
        order.len() == n
            && order
                .iter()
                .all(|&i| i < n && !std::mem::replace(&mut seen[i], true))
    }

    #[test]
    fn a_zigzag_becomes_a_straight_walk() {
        // Input order zigzags along a corridor; the short walk goes end to end.
        let points: Vec<(f64, f64)> = [0.0, 50.0, 10.0, 40.0, 20.0, 30.0]
            .iter()
            .map(|&x| (x, 0.0))
            .collect();
        let input: Vec<usize> = (0..points.len()).collect();
        let walk = short_walk(&points);
        assert_eq!(walk, vec![0, 2, 4, 5, 3, 1]);
        assert_eq!(length(&points, &walk), 50.0);
        assert_eq!(length(&points, &input), 150.0);
    }

    #[test]
    fn points_without_coordinates_go_last_in_their_order() {
        let items = [
            ('a', Some((0.0, 0.0))),
            ('x', None),
            ('b', Some((9.0, 0.0))),
            ('c', Some((1.0, 0.0))),
            ('y', None),
        ];
        assert_eq!(order_items(&items), vec!['a', 'c', 'b', 'x', 'y']);
    }

    /// Deterministic random instances (a fixed linear congruential sequence).
    fn instances() -> Vec<Vec<(f64, f64)>> {
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64 * 100.0
        };
        (0..300)
            .map(|k| (0..(3 + k % 8)).map(|_| (next(), next())).collect())
            .collect()
    }

    #[test]
    fn close_to_optimal_and_never_worse_than_the_input() {
        let mut worst: f64 = 1.0;
        let mut shorter = 0;
        for points in instances() {
            let walk = short_walk(&points);
            assert!(is_permutation(&walk, points.len()));
            assert_eq!(walk[0], 0);
            let ours = length(&points, &walk);
            let input: Vec<usize> = (0..points.len()).collect();
            let given = length(&points, &input);
            assert!(ours <= given + 1e-9, "{ours} > input {given}");
            if ours + 1e-9 < given {
                shorter += 1;
            }
            let best = shortest_exact(&points);
            assert!(ours + 1e-9 >= best, "shorter than the optimum?");
            worst = worst.max(ours / best);
        }
        println!(
            "worst ratio to the optimum over 300 instances: {worst:.4}; shorter than the input in {shorter}"
        );
        assert!(worst <= 1.05, "worst ratio {worst}");
        assert!(shorter >= 250, "beats the input order in {shorter} of 300");
    }
}
