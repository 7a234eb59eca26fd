//! Byte counts as people read them: binary units (KiB, MiB, GiB), the one way every report,
//! panel and message of csplens writes a size.

const KIB: f64 = 1024.0;
const MIB: f64 = KIB * 1024.0;
const GIB: f64 = MIB * 1024.0;

/// `b` in MiB, for charts and columns whose header names the unit.
pub fn mib(b: u64) -> f64 {
    b as f64 / MIB
}

/// `b` in KiB, likewise.
pub fn kib(b: u64) -> f64 {
    b as f64 / KIB
}

/// `b` in GiB, likewise.
pub fn gib(b: u64) -> f64 {
    b as f64 / GIB
}

/// `b` with the largest binary unit it reaches, one decimal (`512 B`, `3.4 KiB`, `9.4 MiB`,
/// `1.2 GiB`).
pub fn bytes(b: u64) -> String {
    let v = b as f64;
    if v >= GIB {
        format!("{:.1} GiB", v / GIB)
    } else if v >= MIB {
        format!("{:.1} MiB", v / MIB)
    } else if v >= KIB {
        format!("{:.1} KiB", v / KIB)
    } else {
        format!("{b} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_unit_from_its_threshold() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1024), "1.0 KiB");
        assert_eq!(bytes(3 * 1024 + 410), "3.4 KiB");
        assert_eq!(bytes(9_863_516), "9.4 MiB");
        assert_eq!(bytes((1 << 30) + (1 << 28)), "1.2 GiB");
        assert_eq!(mib(1 << 21), 2.0);
        assert_eq!(kib(1536), 1.5);
        assert_eq!(gib(1 << 31), 2.0);
    }
}
