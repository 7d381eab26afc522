//! A JPEG file as a list of parts (markers, segments, entropy-coded data), for building
//! crafted files and for structure-aware mutations. [`parse`] then [`write`] gives back the
//! same bytes for any input, well-formed or not.

/// One piece of a JPEG file.
#[derive(Clone, Debug, PartialEq)]
pub enum Part {
    /// A marker without a length: SOI, EOI, RSTn, TEM.
    Marker(u8),
    /// A marker segment; `length` is the stored length field (normally `body.len() + 2`).
    Segment {
        marker: u8,
        length: u16,
        body: Vec<u8>,
    },
    /// Anything else: entropy-coded data with its stuffing, or bytes between segments.
    Data(Vec<u8>),
}

impl Part {
    /// A segment whose length field matches its body.
    pub fn segment(marker: u8, body: Vec<u8>) -> Part {
        Part::Segment {
            marker,
            length: (body.len() + 2) as u16,
            body,
        }
    }

    /// The marker byte, for markers and segments.
    pub fn marker(&self) -> Option<u8> {
        match self {
            Part::Marker(m) | Part::Segment { marker: m, .. } => Some(*m),
            Part::Data(_) => None,
        }
    }
}

/// Markers that stand alone, with no length after them.
pub fn is_standalone(marker: u8) -> bool {
    matches!(marker, 0x01 | 0xD0..=0xD9)
}

/// Frame headers: SOF0..SOF15 but for DHT (C4), JPG (C8) and DAC (CC).
pub fn is_sof(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

/// Splits `jpeg` into parts.
pub fn parse(jpeg: &[u8]) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut data = Vec::new();
    let mut pos = 0;
    while pos < jpeg.len() {
        let marker = match jpeg.get(pos..pos + 2) {
            Some(&[0xFF, m]) if m != 0 && m != 0xFF => Some(m),
            _ => None,
        };
        let Some(marker) = marker else {
            data.push(jpeg[pos]);
            pos += 1;
            continue;
        };
        if !is_standalone(marker) && pos + 4 > jpeg.len() {
            // No room for a length: keep the rest as data.
            data.extend_from_slice(&jpeg[pos..]);
            break;
        }
        if !data.is_empty() {
            parts.push(Part::Data(std::mem::take(&mut data)));
        }
        if is_standalone(marker) {
            parts.push(Part::Marker(marker));
            pos += 2;
            continue;
        }
        let length = u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]);
        let end = (pos + 2 + usize::from(length).max(2)).min(jpeg.len());
        parts.push(Part::Segment {
            marker,
            length,
            body: jpeg[pos + 4..end.max(pos + 4)].to_vec(),
        });
        pos = end.max(pos + 4);
    }
    if !data.is_empty() {
        parts.push(Part::Data(data));
    }
    parts
}

/// Joins parts back into a file.
pub fn write(parts: &[Part]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        match part {
            Part::Marker(m) => out.extend_from_slice(&[0xFF, *m]),
            Part::Segment {
                marker,
                length,
                body,
            } => {
                out.extend_from_slice(&[0xFF, *marker]);
                out.extend_from_slice(&length.to_be_bytes());
                out.extend_from_slice(body);
            }
            Part::Data(d) => out.extend_from_slice(d),
        }
    }
    out
}

/// The index of the first part with this marker.
pub fn find(parts: &[Part], marker: u8) -> Option<usize> {
    parts.iter().position(|p| p.marker() == Some(marker))
}

/// The body of the first segment with this marker.
pub fn body_mut(parts: &mut [Part], marker: u8) -> Option<&mut Vec<u8>> {
    parts.iter_mut().find_map(|p| match p {
        Part::Segment {
            marker: m, body, ..
        } if *m == marker => Some(body),
        _ => None,
    })
}

/// Sets every segment's length field to match its body (after editing bodies).
pub fn fix_lengths(parts: &mut [Part]) {
    for p in parts {
        if let Part::Segment { length, body, .. } = p {
            *length = (body.len() + 2) as u16;
        }
    }
}
