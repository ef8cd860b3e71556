//! Reed-Solomon over GF(2^8) with ggwave's convention: reduction polynomial `0x11D`, primitive
//! element 2, generator roots α^0..α^(n-1) (first consecutive root 0), systematic, message first,
//! highest-degree coefficient first. Identical to Python `reedsolo.RSCodec(n, fcr=0, prim=0x11d)`.
//!
//! Why not a crate: the decoder here corrects errors *and erasures* (we mark low-confidence nibbles
//! as erasures, which ggwave's errors-only decoder cannot use), works on shortened words of any
//! length without allocating more than the word, and never panics on hostile input: every index is
//! bounded by the word length (at most 255). The `reed-solomon` 0.2.1 crate has the same parity
//! (docs/protocol.md §4) but is unmaintained since 2017 and has fixed 255-byte buffers that panic on
//! out-of-range erasure positions.

/// Longest code word (message + parity) in GF(2^8).
pub const MAX_WORD: usize = 255;

const fn tables() -> ([u8; 512], [u8; 256]) {
    let mut exp = [0u8; 512];
    let mut log = [0u8; 256];
    let mut x: u16 = 1;
    let mut i = 0;
    while i < 255 {
        exp[i] = x as u8;
        log[x as usize] = i as u8;
        x <<= 1;
        if x & 0x100 != 0 {
            x ^= 0x11d;
        }
        i += 1;
    }
    while i < 512 {
        exp[i] = exp[i - 255];
        i += 1;
    }
    (exp, log)
}

const TABLES: ([u8; 512], [u8; 256]) = tables();
const EXP: [u8; 512] = TABLES.0;
const LOG: [u8; 256] = TABLES.1;

#[inline]
fn mul(a: u8, b: u8) -> u8 {
    if a == 0 || b == 0 {
        0
    } else {
        EXP[LOG[a as usize] as usize + LOG[b as usize] as usize]
    }
}

#[inline]
fn div(a: u8, b: u8) -> u8 {
    // b is never 0 at the call sites (checked there); return 0 rather than panic if it were.
    if a == 0 || b == 0 {
        0
    } else {
        EXP[(LOG[a as usize] as usize + 255 - LOG[b as usize] as usize) % 255]
    }
}

#[inline]
fn pow_alpha(e: usize) -> u8 {
    EXP[e % 255]
}

#[inline]
fn inv(a: u8) -> u8 {
    div(1, a)
}

/// Evaluate a polynomial given highest-degree coefficient first.
fn eval_hi_first(poly: &[u8], x: u8) -> u8 {
    poly.iter().fold(0u8, |acc, &c| mul(acc, x) ^ c)
}

/// Evaluate a polynomial given lowest-degree coefficient first.
fn eval_lo_first(poly: &[u8], x: u8) -> u8 {
    poly.iter().rev().fold(0u8, |acc, &c| mul(acc, x) ^ c)
}

/// Generator polynomial (highest degree first, monic) for `nsym` parity bytes.
fn generator(nsym: usize) -> Vec<u8> {
    let mut g = vec![1u8];
    for i in 0..nsym {
        // g(x) *= (x - α^i)
        let root = pow_alpha(i);
        let mut next = vec![0u8; g.len() + 1];
        for (j, &c) in g.iter().enumerate() {
            next[j] ^= c;
            next[j + 1] ^= mul(c, root);
        }
        g = next;
    }
    g
}

/// Errors of the Reed-Solomon layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RsError {
    /// Message plus parity is longer than 255 bytes, or there is no parity.
    BadLength,
    /// More errors than the code can correct.
    TooManyErrors,
}

impl std::fmt::Display for RsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RsError::BadLength => write!(f, "code word longer than 255 bytes or without parity"),
            RsError::TooManyErrors => write!(f, "too many errors to correct"),
        }
    }
}

impl std::error::Error for RsError {}

/// Parity bytes (`nsym` of them) of `msg`.
pub fn parity(msg: &[u8], nsym: usize) -> Result<Vec<u8>, RsError> {
    if nsym == 0 || msg.len() + nsym > MAX_WORD {
        return Err(RsError::BadLength);
    }
    let g = generator(nsym);
    let mut rem = vec![0u8; nsym];
    for &m in msg {
        let feedback = m ^ rem[0];
        rem.rotate_left(1);
        rem[nsym - 1] = 0;
        if feedback != 0 {
            for (r, &gc) in rem.iter_mut().zip(&g[1..]) {
                *r ^= mul(gc, feedback);
            }
        }
    }
    Ok(rem)
}

/// Outcome of a successful decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrected {
    /// Bytes changed (errors and erasures that were actually wrong).
    pub changed: usize,
}

/// Correct `word` (message ‖ parity, `nsym` parity bytes) in place. `erasures` are byte positions
/// known to be unreliable; out-of-range or duplicate positions are ignored. Corrects `e` errors and
/// `f` erasures whenever `2e + f <= nsym`.
pub fn correct(word: &mut [u8], nsym: usize, erasures: &[usize]) -> Result<Corrected, RsError> {
    let synd = syndromes(word, nsym)?;
    correct_with_syndromes(word, nsym, &synd, erasures)
}

/// The `nsym` syndromes of `word`, all zero for a code word. They do not depend on the erasures,
/// so a receiver trying several erasure sets on one word computes them once.
pub fn syndromes(word: &[u8], nsym: usize) -> Result<Vec<u8>, RsError> {
    if nsym == 0 || word.len() > MAX_WORD || nsym > word.len() {
        return Err(RsError::BadLength);
    }
    Ok((0..nsym)
        .map(|i| eval_hi_first(word, pow_alpha(i)))
        .collect())
}

/// [`correct`] given the word's [`syndromes`].
pub fn correct_with_syndromes(
    word: &mut [u8],
    nsym: usize,
    synd: &[u8],
    erasures: &[usize],
) -> Result<Corrected, RsError> {
    let n = word.len();
    if nsym == 0 || n > MAX_WORD || nsym > n || synd.len() != nsym {
        return Err(RsError::BadLength);
    }
    if synd.iter().all(|&s| s == 0) {
        return Ok(Corrected { changed: 0 });
    }
    let (locator, n_eras) = erasure_locator(n, nsym, erasures);
    let lambda = error_locator(synd, locator, n_eras, nsym)?;
    let omega = error_evaluator(synd, &lambda, nsym);
    let fixes = error_values(&lambda, &omega, n)?;
    apply(word, nsym, &fixes)
}

/// The erasure locator Γ(x) = Π (1 + X_k x), lowest degree first, with X_k = α^(n-1-pos), and
/// how many erasures it holds (at most `nsym`; out-of-range and repeated positions are skipped).
fn erasure_locator(n: usize, nsym: usize, erasures: &[usize]) -> (Vec<u8>, usize) {
    let mut seen = [false; MAX_WORD];
    let mut locator = vec![1u8];
    let mut n_eras = 0usize;
    for &pos in erasures {
        if pos >= n || seen[pos] || n_eras >= nsym {
            continue;
        }
        seen[pos] = true;
        n_eras += 1;
        let x = pow_alpha(n - 1 - pos);
        let mut next = vec![0u8; locator.len() + 1];
        for (j, &c) in locator.iter().enumerate() {
            next[j] ^= c;
            next[j + 1] ^= mul(c, x);
        }
        locator = next;
    }
    (locator, n_eras)
}

/// The error-and-erasure locator Λ(x) (lowest degree first): Berlekamp-Massey over the syndromes,
/// initialised with the erasure locator. Fails when its degree shows more errors than `nsym`
/// parity bytes can correct.
fn error_locator(
    synd: &[u8],
    locator: Vec<u8>,
    n_eras: usize,
    nsym: usize,
) -> Result<Vec<u8>, RsError> {
    let mut lambda = locator.clone();
    let mut prev = locator;
    let mut l = n_eras;
    let mut shift = 1usize;
    for r in n_eras..nsym {
        let mut delta = 0u8;
        for (i, &c) in lambda.iter().enumerate() {
            if i <= r {
                delta ^= mul(c, synd[r - i]);
            }
        }
        if delta == 0 {
            shift += 1;
            continue;
        }
        let mut candidate = lambda.clone();
        if candidate.len() < prev.len() + shift {
            candidate.resize(prev.len() + shift, 0);
        }
        for (i, &c) in prev.iter().enumerate() {
            candidate[i + shift] ^= mul(delta, c);
        }
        if 2 * l <= r + n_eras {
            l = r + 1 + n_eras - l;
            prev = lambda.iter().map(|&c| div(c, delta)).collect();
            shift = 1;
        } else {
            shift += 1;
        }
        lambda = candidate;
    }
    while lambda.len() > 1 && lambda[lambda.len() - 1] == 0 {
        lambda.pop();
    }
    let degree = lambda.len() - 1;
    if degree == 0 || degree != l || 2 * (degree - n_eras) + n_eras > nsym {
        return Err(RsError::TooManyErrors);
    }
    Ok(lambda)
}

/// The error evaluator Ω(x) = S(x)Λ(x) mod x^nsym (lowest degree first).
fn error_evaluator(synd: &[u8], lambda: &[u8], nsym: usize) -> Vec<u8> {
    let mut omega = vec![0u8; nsym];
    for (i, &s) in synd.iter().enumerate() {
        for (j, &c) in lambda.iter().enumerate() {
            if i + j < nsym {
                omega[i + j] ^= mul(s, c);
            }
        }
    }
    omega
}

/// The error positions (Chien search over the positions of this shortened word only) and their
/// values (Forney), as (position, value to XOR). Fails unless Λ has exactly its degree of roots.
fn error_values(lambda: &[u8], omega: &[u8], n: usize) -> Result<Vec<(usize, u8)>, RsError> {
    let degree = lambda.len() - 1;
    // Formal derivative of Λ: keep odd-power terms.
    let deriv: Vec<u8> = lambda
        .iter()
        .enumerate()
        .skip(1)
        .map(|(i, &c)| if i % 2 == 1 { c } else { 0 })
        .collect();
    let mut fixes: Vec<(usize, u8)> = Vec::with_capacity(degree);
    // Λ(X^-1) at X = α^(n-1-pos), term by term in the log domain: the exponent of term j grows by
    // j from one position to the next, so each step is an add and a table look-up per term.
    let mut terms: Vec<(usize, usize)> = lambda
        .iter()
        .enumerate()
        .filter(|&(_, &c)| c != 0)
        .map(|(j, &c)| {
            let first = (255 - (n - 1) % 255) % 255; // exponent of X^-1 at pos 0
            (j, (LOG[c as usize] as usize + j * first) % 255)
        })
        .collect();
    for pos in 0..n {
        let mut sum = 0u8;
        for (j, e) in terms.iter_mut() {
            sum ^= EXP[*e];
            *e += *j;
            if *e >= 255 {
                *e -= 255;
            }
        }
        if sum != 0 {
            continue;
        }
        let x = pow_alpha(n - 1 - pos);
        let xinv = inv(x);
        let denom = eval_lo_first(&deriv, xinv);
        if denom == 0 {
            return Err(RsError::TooManyErrors);
        }
        // Forney with first root α^0: e = X · Ω(X^-1) / Λ'(X^-1).
        let magnitude = mul(x, div(eval_lo_first(omega, xinv), denom));
        fixes.push((pos, magnitude));
    }
    if fixes.len() != degree {
        return Err(RsError::TooManyErrors);
    }
    Ok(fixes)
}

/// Apply the fixes, and keep them only if the result is a code word.
fn apply(word: &mut [u8], nsym: usize, fixes: &[(usize, u8)]) -> Result<Corrected, RsError> {
    let mut changed = 0;
    for &(pos, m) in fixes {
        if m != 0 {
            word[pos] ^= m;
            changed += 1;
        }
    }
    if (0..nsym).any(|i| eval_hi_first(word, pow_alpha(i)) != 0) {
        // Undo: never hand back a word that is not a code word.
        for &(pos, m) in fixes {
            word[pos] ^= m;
        }
        return Err(RsError::TooManyErrors);
    }
    Ok(Corrected { changed })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn parity_matches_ggwave_examples() {
        assert_eq!(parity(&[0x0b], 2).unwrap(), vec![0x1d, 0x16]);
        assert_eq!(parity(&[0x01], 2).unwrap(), vec![0x03, 0x02]);
        assert_eq!(parity(&[0x8c], 2).unwrap(), vec![0x89, 0x05]);
        assert_eq!(parity(&[0x41], 2).unwrap(), vec![0xc3, 0x82]);
        assert_eq!(
            parity(&hex("48656c6c6f20576f726c64"), 4).unwrap(),
            hex("c94843e2")
        );
    }

    /// Deterministic xorshift so the tests are repeatable.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn distinct_positions(rng: &mut Rng, n: usize, count: usize) -> Vec<usize> {
        let mut v: Vec<usize> = Vec::new();
        while v.len() < count {
            let p = rng.below(n);
            if !v.contains(&p) {
                v.push(p);
            }
        }
        v
    }

    #[test]
    fn corrects_errors_and_erasures_up_to_capacity() {
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        for trial in 0..3000 {
            let k = 1 + rng.below(140);
            let nsym = 2 + 2 * rng.below(28);
            if k + nsym > MAX_WORD {
                continue;
            }
            let msg: Vec<u8> = (0..k).map(|_| rng.next() as u8).collect();
            let mut word = msg.clone();
            word.extend(parity(&msg, nsym).unwrap());
            let n = word.len();
            let n_eras = rng.below(nsym + 1);
            let n_err = rng.below((nsym - n_eras) / 2 + 1);
            let pos = distinct_positions(&mut rng, n, n_eras + n_err);
            let mut bad = word.clone();
            for &p in &pos {
                bad[p] ^= 1 + rng.below(255) as u8;
            }
            let r = correct(&mut bad, nsym, &pos[..n_eras]);
            assert!(
                r.is_ok(),
                "trial {trial}: k={k} nsym={nsym} eras={n_eras} err={n_err}"
            );
            assert_eq!(bad, word, "trial {trial}");
        }
    }

    #[test]
    fn beyond_capacity_fails_or_yields_a_codeword() {
        let mut rng = Rng(42);
        for _ in 0..2000 {
            let k = 1 + rng.below(60);
            let nsym = 2 + 2 * rng.below(10);
            let msg: Vec<u8> = (0..k).map(|_| rng.next() as u8).collect();
            let mut word = msg.clone();
            word.extend(parity(&msg, nsym).unwrap());
            let n = word.len();
            let n_err = (nsym / 2 + 1 + rng.below(4)).min(n);
            for p in distinct_positions(&mut rng, n, n_err) {
                word[p] ^= 1 + rng.below(255) as u8;
            }
            if correct(&mut word, nsym, &[]).is_ok() {
                assert!((0..nsym).all(|i| eval_hi_first(&word, pow_alpha(i)) == 0));
            }
        }
    }

    #[test]
    fn hostile_arguments_do_not_panic() {
        let mut w = vec![0u8; 300];
        assert_eq!(correct(&mut w, 4, &[]), Err(RsError::BadLength));
        let mut w = vec![7u8; 10];
        assert_eq!(correct(&mut w, 0, &[]), Err(RsError::BadLength));
        assert_eq!(correct(&mut w, 11, &[]), Err(RsError::BadLength));
        let _ = correct(&mut w, 4, &[999, 3, 3, 3, 3, 3, 0, 1, 2]);
        assert_eq!(parity(&[0u8; 250], 10), Err(RsError::BadLength));
    }
}
