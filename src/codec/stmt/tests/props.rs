//! Property tests: encode then parse is the identity.

use super::*;
use proptest::prelude::*;

/// A parameter of a random supported type.
fn param() -> impl Strategy<Value = crate::codec::value::Param<'static>> {
    use crate::codec::value::Param;
    prop_oneof![
        Just(Param::Null),
        any::<i64>().prop_map(Param::Int),
        any::<u64>().prop_map(Param::UInt),
        any::<f32>().prop_map(Param::Float),
        any::<f64>().prop_map(Param::Double),
        ".{0,40}".prop_map(|s| Param::Text(s.into())),
        proptest::collection::vec(any::<u8>(), 0..300).prop_map(|b| Param::Bytes(b.into())),
        (0..=9999u16, 0..=12u8, 0..=31u8)
            .prop_map(|(y, m, d)| Param::Date(Date::new(y, m, d).unwrap())),
        (
            0..=838u32,
            0..=59u8,
            0..=59u8,
            0..=999_999u32,
            any::<bool>()
        )
            .prop_map(|(h, m, s, us, n)| Param::Time(Time::new(n, h, m, s, us).unwrap())),
    ]
}

proptest! {
    /// encode -> parse gives back every parameter's type and bytes; every cut fails.
    #[test]
    fn execute_round_trips(
        params in proptest::collection::vec(param(), 0..20),
        attrs in any::<bool>(),
        send_types in any::<bool>(),
    ) {
        let refs: Vec<&dyn ToParam> = params.iter().map(|p| p as &dyn ToParam).collect();
        let caps = if attrs { QA } else { NO_CAPS };
        let n = u16::try_from(params.len()).unwrap();
        let mut e = StmtExecute::new(42, n, &refs);
        e.send_types = send_types;
        let mut out = BytesMut::new();
        encode_stmt_execute(&mut out, &e, caps).unwrap();
        let types: Vec<ParamType> = refs.iter().map(|p| p.param_type()).collect();
        let req = parse_stmt_execute(&out, n, caps, &types, &[]).unwrap();
        prop_assert_eq!(req.statement_id, 42);
        prop_assert_eq!(&req.types, &types);
        for (p, v) in refs.iter().zip(&req.values) {
            let mut want = BytesMut::new();
            p.encode_value(&mut want);
            match v {
                ParamValue::Null => prop_assert!(p.is_null()),
                ParamValue::Value(b) => prop_assert!(want.ends_with(b)),
                ParamValue::LongData => prop_assert!(false),
            }
        }
        for cut in 0..out.len() {
            prop_assert!(parse_stmt_execute(&out[..cut], n, caps, &types, &[]).is_err());
        }
    }
}
