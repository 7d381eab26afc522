//! A tiny JPEG writer for synthetic coefficients, so the tests control sampling factors,
//! restart intervals, scan layout, Huffman tables (long codes included) and byte stuffing.

/// A Huffman table as a DHT segment stores it.
#[derive(Clone, Debug)]
pub struct Table {
    pub counts: [u8; 16],
    pub values: Vec<u8>,
}

impl Table {
    /// DC: the twelve categories, each with a 4-bit code.
    pub fn synthetic_dc() -> Table {
        let mut counts = [0; 16];
        counts[3] = 12;
        Table {
            counts,
            values: (0..12).collect(),
        }
    }

    /// DC whose category 0 has a 16-bit code, longer than any table lookup of the decoder, so
    /// it is decoded the slow way (and with no magnitude bits after it).
    pub fn long_zero_dc() -> Table {
        let mut counts = [0; 16];
        counts[..11].fill(1);
        counts[15] = 1;
        let mut values: Vec<u8> = (1..=11).collect();
        values.push(0);
        Table { counts, values }
    }

    /// AC: EOB in 2 bits, six short codes, every other (run, size ≤ 10) pair 12 bits long.
    pub fn synthetic_ac() -> Table {
        let mut values = vec![0x00u8, 0x01, 0x02, 0x11, 0x03, 0x21, 0xF0];
        for r in 0..16u8 {
            for s in 1..=10u8 {
                let sym = (r << 4) | s;
                if !values.contains(&sym) {
                    values.push(sym);
                }
            }
        }
        let mut counts = [0u8; 16];
        counts[1] = 1;
        counts[3] = 6;
        counts[11] = (values.len() - 7) as u8;
        Table { counts, values }
    }

    /// The canonical (code, length) of each symbol.
    pub fn codes(&self) -> Vec<Option<(u32, u32)>> {
        let mut table = vec![None; 256];
        let (mut code, mut k) = (0u32, 0usize);
        for len in 1..=16u32 {
            for _ in 0..self.counts[len as usize - 1] {
                table[usize::from(self.values[k])] = Some((code, len));
                code += 1;
                k += 1;
            }
            code <<= 1;
        }
        table
    }

    /// The DHT segment body for this table as table `class_id` (class << 4 | id).
    pub fn dht_body(&self, class_id: u8) -> Vec<u8> {
        let mut body = vec![class_id];
        body.extend_from_slice(&self.counts);
        body.extend_from_slice(&self.values);
        body
    }
}

/// Entropy-coded bits, with 0xFF bytes stuffed.
#[derive(Default)]
pub struct Writer {
    pub out: Vec<u8>,
    acc: u32,
    n: u32,
}

impl Writer {
    pub fn bits(&mut self, value: u32, len: u32) {
        for i in (0..len).rev() {
            self.acc = (self.acc << 1) | ((value >> i) & 1);
            self.n += 1;
            if self.n == 8 {
                let b = self.acc as u8;
                self.out.push(b);
                if b == 0xFF {
                    self.out.push(0);
                }
                self.acc = 0;
                self.n = 0;
            }
        }
    }

    /// Fills the last byte with 1 bits, as encoders do before a marker.
    pub fn pad(&mut self) {
        while self.n != 0 {
            self.bits(1, 1);
        }
    }

    /// Pads, then ends the current restart interval with RSTn.
    pub fn restart(&mut self, n: u8) {
        self.pad();
        self.out.extend_from_slice(&[0xFF, 0xD0 + (n & 7)]);
    }
}

fn category(v: i32) -> u32 {
    32 - v.unsigned_abs().leading_zeros()
}

fn value_bits(v: i32, s: u32) -> u32 {
    if v < 0 {
        (v + (1 << s) - 1) as u32
    } else {
        v as u32
    }
}

/// Appends a marker segment with its length.
pub fn segment(out: &mut Vec<u8>, marker: u8, body: &[u8]) {
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(body);
}

/// A SOF body: 8-bit samples, `comps` as (id, h << 4 | v, quantiser table).
pub fn sof_body(width: u16, height: u16, comps: &[(u8, u8, u8)]) -> Vec<u8> {
    let mut body = vec![8];
    body.extend_from_slice(&height.to_be_bytes());
    body.extend_from_slice(&width.to_be_bytes());
    body.push(comps.len() as u8);
    for &(id, hv, tq) in comps {
        body.extend_from_slice(&[id, hv, tq]);
    }
    body
}

/// A SOS body: `comps` as (id, dc << 4 | ac), then Ss, Se and Ah << 4 | Al.
pub fn sos_body(comps: &[(u8, u8)], ss: u8, se: u8, ah_al: u8) -> Vec<u8> {
    let mut body = vec![comps.len() as u8];
    for &(id, tables) in comps {
        body.extend_from_slice(&[id, tables]);
    }
    body.extend_from_slice(&[ss, se, ah_al]);
    body
}

/// What a synthetic picture looks like and how it is laid out in the file.
#[derive(Clone, Debug)]
pub struct Picture {
    pub width: usize,
    pub height: usize,
    /// (h, v) per component.
    pub sampling: Vec<(usize, usize)>,
    /// Units (MCUs, or blocks in a one-component scan) per restart interval; 0 for none.
    pub restart: usize,
    pub seed: u32,
    /// One scan per component instead of one interleaved scan.
    pub separate_scans: bool,
    pub dc: Table,
    pub ac: Table,
    /// How often an AC coefficient is non-zero, in percent.
    pub ac_percent: u32,
    /// Every block's DC is 0, so every DC difference after the first is category 0.
    pub flat: bool,
}

impl Picture {
    /// A `width`×`height` picture with the given sampling and the synthetic tables.
    pub fn new(width: usize, height: usize, sampling: &[(usize, usize)]) -> Picture {
        Picture {
            width,
            height,
            sampling: sampling.to_vec(),
            restart: 0,
            seed: 0x1234_5678,
            separate_scans: false,
            dc: Table::synthetic_dc(),
            ac: Table::synthetic_ac(),
            ac_percent: 8,
            flat: false,
        }
    }

    pub fn restart(mut self, units: usize) -> Picture {
        self.restart = units;
        self
    }

    pub fn seed(mut self, seed: u32) -> Picture {
        self.seed = seed;
        self
    }

    pub fn separate_scans(mut self) -> Picture {
        self.separate_scans = true;
        self
    }

    pub fn ac_percent(mut self, percent: u32) -> Picture {
        self.ac_percent = percent;
        self
    }

    pub fn flat(mut self) -> Picture {
        self.flat = true;
        self
    }

    pub fn dc_table(mut self, table: Table) -> Picture {
        self.dc = table;
        self
    }

    fn max_sampling(&self) -> (usize, usize) {
        let h = self.sampling.iter().map(|s| s.0).max().unwrap();
        let v = self.sampling.iter().map(|s| s.1).max().unwrap();
        (h, v)
    }

    /// The size in blocks of component `ci` on its own (a one-component scan's layout).
    fn blocks(&self, ci: usize) -> (usize, usize) {
        let (hmax, vmax) = self.max_sampling();
        let (h, v) = self.sampling[ci];
        let cw = (self.width * h).div_ceil(hmax);
        let ch = (self.height * v).div_ceil(vmax);
        (cw.div_ceil(8), ch.div_ceil(8))
    }

    /// The headers every file of this picture starts with (SOI, DQT, SOF, DHT, DRI).
    fn headers(&self, sof_marker: u8) -> Vec<u8> {
        let mut f = vec![0xFF, 0xD8];
        let mut dqt = vec![0u8, 4];
        dqt.extend_from_slice(&[1u8; 63]);
        segment(&mut f, 0xDB, &dqt);
        let comps: Vec<(u8, u8, u8)> = self
            .sampling
            .iter()
            .enumerate()
            .map(|(i, &(h, v))| (i as u8 + 1, ((h << 4) | v) as u8, 0))
            .collect();
        let sof = sof_body(self.width as u16, self.height as u16, &comps);
        segment(&mut f, sof_marker, &sof);
        let mut dht = self.dc.dht_body(0x00);
        dht.extend_from_slice(&self.ac.dht_body(0x10));
        segment(&mut f, 0xC4, &dht);
        if self.restart > 0 {
            segment(&mut f, 0xDD, &(self.restart as u16).to_be_bytes());
        }
        f
    }

    /// The scans: one interleaved scan of every component, or one per component.
    fn scans(&self) -> Vec<Vec<usize>> {
        if self.separate_scans || self.sampling.len() == 1 {
            (0..self.sampling.len()).map(|c| vec![c]).collect()
        } else {
            vec![(0..self.sampling.len()).collect()]
        }
    }

    /// The blocks of one scan in stream order, as (component, block x, block y), grouped in
    /// units (MCUs).
    fn units(&self, scan: &[usize]) -> Vec<Vec<(usize, usize, usize)>> {
        if let [c] = scan {
            let (bx, by) = self.blocks(*c);
            return (0..bx * by).map(|b| vec![(*c, b % bx, b / bx)]).collect();
        }
        let (hmax, vmax) = self.max_sampling();
        let (mcux, mcuy) = (
            self.width.div_ceil(8 * hmax),
            self.height.div_ceil(8 * vmax),
        );
        (0..mcux * mcuy)
            .map(|m| {
                let (mx, my) = (m % mcux, m / mcux);
                let mut unit = Vec::new();
                for &c in scan {
                    let (h, v) = self.sampling[c];
                    for dy in 0..v {
                        for dx in 0..h {
                            unit.push((c, mx * h + dx, my * v + dy));
                        }
                    }
                }
                unit
            })
            .collect()
    }

    /// The DC value of a block: luma is a ramp over the units (MCUs) with noise; chroma a
    /// smooth ramp, so that nearest and interpolated upsampling agree and a misplaced block
    /// would show. Noise is drawn for luma only (as the tests' pictures always were made).
    fn dc_value(&self, ci: usize, bx: usize, by: usize, rng: &mut Rng) -> i32 {
        if self.flat {
            return 0;
        }
        let mcux = self.width.div_ceil(8 * self.max_sampling().0);
        let (h, v) = self.sampling[ci];
        let (mx, my) = (bx / h, by / v);
        if ci == 0 {
            ((my * mcux + mx) as i32 * 7) % 200 - 100 + (rng.next() % 9) as i32 - 4
        } else {
            mx as i32 * 3 + my as i32 * 2 - 40 + ci as i32 * 10
        }
    }

    /// Entropy-codes the scans; `ac` false codes no AC part (a progressive DC scan).
    fn code_scan(&self, scan: &[usize], ac: bool, rng: &mut Rng, w: &mut Writer) {
        let dc_codes = self.dc.codes();
        let ac_codes = self.ac.codes();
        let mut pred = vec![0i32; self.sampling.len()];
        let mut rst = 0u8;
        for (u, unit) in self.units(scan).into_iter().enumerate() {
            if self.restart > 0 && u > 0 && u % self.restart == 0 {
                w.restart(rst);
                rst = rst.wrapping_add(1);
                pred.fill(0);
            }
            for (c, bx, by) in unit {
                let dc = self.dc_value(c, bx, by, rng);
                let diff = dc - pred[c];
                pred[c] = dc;
                let s = category(diff);
                let (code, len) = dc_codes[s as usize].expect("DC category in the table");
                w.bits(code, len);
                w.bits(value_bits(diff, s), s);
                if ac {
                    self.code_ac(&ac_codes, rng, w);
                }
            }
        }
        w.pad();
    }

    fn code_ac(&self, ac_codes: &[Option<(u32, u32)>], rng: &mut Rng, w: &mut Writer) {
        let mut run = 0;
        for _k in 1..64 {
            let v = if rng.next() % 100 < self.ac_percent {
                (rng.next() % 600) as i32 - 300
            } else {
                0
            };
            if v == 0 {
                run += 1;
                continue;
            }
            while run > 15 {
                let (c, l) = ac_codes[0xF0].unwrap();
                w.bits(c, l);
                run -= 16;
            }
            let s = category(v);
            let (c, l) = ac_codes[((run << 4) | s) as usize].unwrap();
            w.bits(c, l);
            w.bits(value_bits(v, s), s);
            run = 0;
        }
        if run > 0 {
            let (c, l) = ac_codes[0].unwrap();
            w.bits(c, l);
        }
    }

    /// A baseline (SOF0) file.
    pub fn baseline(&self) -> Vec<u8> {
        let mut f = self.headers(0xC0);
        let mut rng = Rng(self.seed);
        for scan in self.scans() {
            let comps: Vec<(u8, u8)> = scan.iter().map(|&c| (c as u8 + 1, 0x00)).collect();
            segment(&mut f, 0xDA, &sos_body(&comps, 0, 63, 0));
            let mut w = Writer::default();
            self.code_scan(&scan, true, &mut rng, &mut w);
            f.extend_from_slice(&w.out);
        }
        f.extend_from_slice(&[0xFF, 0xD9]);
        f
    }

    /// A progressive (SOF2) file: a DC scan, then one AC scan per component in which every
    /// block is an end-of-band.
    pub fn progressive(&self) -> Vec<u8> {
        let mut plain = self.clone();
        plain.restart = 0;
        let mut f = plain.headers(0xC2);
        let mut rng = Rng(self.seed);
        let all: Vec<usize> = (0..self.sampling.len()).collect();
        let comps: Vec<(u8, u8)> = all.iter().map(|&c| (c as u8 + 1, 0x00)).collect();
        segment(&mut f, 0xDA, &sos_body(&comps, 0, 0, 0));
        let mut w = Writer::default();
        plain.code_scan(&all, false, &mut rng, &mut w);
        f.extend_from_slice(&w.out);
        let (eob, eob_len) = self.ac.codes()[0].unwrap();
        for c in all {
            segment(&mut f, 0xDA, &sos_body(&[(c as u8 + 1, 0x00)], 1, 63, 0));
            let mut w = Writer::default();
            for _ in plain.units(&[c]) {
                w.bits(eob, eob_len);
            }
            w.pad();
            f.extend_from_slice(&w.out);
        }
        f.extend_from_slice(&[0xFF, 0xD9]);
        f
    }
}

/// xorshift32, as the synthetic pictures have always used.
struct Rng(u32);

impl Rng {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }
}
