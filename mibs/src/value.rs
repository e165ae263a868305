//! SNMP values as lanready keeps them: owned, independent of any SNMP library, with the
//! accessors the decoders use (each says what it accepts and returns `None` otherwise).

/// One varbind's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Integer(i64),
    OctetString(Vec<u8>),
    ObjectId(crate::Oid),
    IpAddress([u8; 4]),
    Counter32(u32),
    Gauge32(u32),
    TimeTicks(u32),
    Opaque(Vec<u8>),
    Counter64(u64),
    Null,
}

impl Value {
    /// An INTEGER, or any unsigned type that fits an i64.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Integer(i) => Some(i),
            Value::Counter32(u) | Value::Gauge32(u) | Value::TimeTicks(u) => Some(i64::from(u)),
            Value::Counter64(u) => i64::try_from(u).ok(),
            _ => None,
        }
    }

    /// A non-negative number as u64 (counters, gauges, non-negative INTEGERs).
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::Integer(i) => u64::try_from(i).ok(),
            Value::Counter32(u) | Value::Gauge32(u) | Value::TimeTicks(u) => Some(u64::from(u)),
            Value::Counter64(u) => Some(u),
            _ => None,
        }
    }

    /// A non-negative number that fits u32.
    pub fn as_u32(&self) -> Option<u32> {
        self.as_u64().and_then(|v| u32::try_from(v).ok())
    }

    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::OctetString(b) | Value::Opaque(b) => Some(b),
            _ => None,
        }
    }

    /// An OCTET STRING as text: UTF-8 where it is, otherwise each byte as Latin-1.
    /// Trailing NULs, which some agents append, are dropped.
    pub fn as_text(&self) -> Option<String> {
        self.as_bytes().map(octets_text)
    }

    pub fn as_oid(&self) -> Option<&crate::Oid> {
        match self {
            Value::ObjectId(o) => Some(o),
            _ => None,
        }
    }

    /// The SMI type name, for evidence and error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Integer(_) => "INTEGER",
            Value::OctetString(_) => "OCTET STRING",
            Value::ObjectId(_) => "OBJECT IDENTIFIER",
            Value::IpAddress(_) => "IpAddress",
            Value::Counter32(_) => "Counter32",
            Value::Gauge32(_) => "Gauge32",
            Value::TimeTicks(_) => "TimeTicks",
            Value::Opaque(_) => "Opaque",
            Value::Counter64(_) => "Counter64",
            Value::Null => "NULL",
        }
    }
}

/// Octets as text, as [`Value::as_text`] reads an OCTET STRING: UTF-8 where it is,
/// otherwise each byte as Latin-1; trailing NULs dropped.
pub fn octets_text(b: &[u8]) -> String {
    let b = match b.iter().rposition(|&c| c != 0) {
        Some(end) => &b[..=end],
        None => &b[..0],
    };
    match std::str::from_utf8(b) {
        Ok(s) => s.to_string(),
        Err(_) => b.iter().map(|&c| c as char).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_convert_only_when_they_fit() {
        assert_eq!(Value::Integer(-1).as_u64(), None);
        assert_eq!(Value::Integer(-1).as_i64(), Some(-1));
        assert_eq!(Value::Gauge32(7).as_u32(), Some(7));
        assert_eq!(Value::Counter64(u64::MAX).as_u32(), None);
        assert_eq!(Value::OctetString(b"7".to_vec()).as_u64(), None);
    }

    #[test]
    fn text_drops_trailing_nuls_and_survives_latin1() {
        assert_eq!(
            Value::OctetString(b"Gi1/0/1\0".to_vec()).as_text().unwrap(),
            "Gi1/0/1"
        );
        assert_eq!(
            Value::OctetString(vec![0x22, 0xe9]).as_text().unwrap(),
            "\"é"
        );
    }
}
