//! A BLOB of more than 16 MiB through COM_STMT_SEND_LONG_DATA, read back by both protocols.

use super::connect;
/// CRC-32 (IEEE), as the server's `CRC32()` computes it.
fn crc32(data: &[u8]) -> u32 {
    let mut table = [0u32; 256];
    for (i, e) in table.iter_mut().enumerate() {
        let mut c = i as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
        *e = c;
    }
    let mut c = !0u32;
    for &b in data {
        c = table[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

/// A BLOB of more than 16 MiB: sent by COM_STMT_SEND_LONG_DATA (1 MiB pieces), and read back
/// by both protocols as a row of more than one packet (0xFFFFFF-byte packets and the rest).
#[tokio::test]
async fn a_blob_over_16_mib_through_long_data() {
    const LEN: usize = (16 << 20) + 12_345;
    let mut s = connect().await;
    // The server must accept a packet (and a long-data parameter) of that size.
    let need: u64 = 64 << 20;
    let mut r = s.query("SELECT @@global.max_allowed_packet").await.unwrap();
    let have: u64 = r
        .next_row()
        .await
        .unwrap()
        .unwrap()
        .get(0)
        .unwrap()
        .unwrap();
    drop(r);
    if have < need {
        s.query_drop(&format!("SET GLOBAL max_allowed_packet = {need}"))
            .await
            .unwrap();
        // The global is read when a session starts.
        s = connect().await;
    }
    let big: Vec<u8> = (0..LEN)
        .map(|i| (i.wrapping_mul(7919) >> 3) as u8)
        .collect();
    s.query_drop("CREATE TEMPORARY TABLE lb (id INT, b LONGBLOB)")
        .await
        .unwrap();
    let ins = s.prepare("INSERT INTO lb VALUES (?, ?)").await.unwrap();
    drop(s.execute(&ins, &[&1i32, &big]).await.unwrap());
    assert_eq!(s.last_ok().affected_rows, 1);
    assert_eq!(s.last_ok().warnings, 0);

    // The server's view of what it stored.
    let mut r = s.query("SELECT LENGTH(b), CRC32(b) FROM lb").await.unwrap();
    let row = r.next_row().await.unwrap().unwrap();
    assert_eq!(row.get::<u64>(0).unwrap(), Some(LEN as u64));
    assert_eq!(row.get::<u32>(1).unwrap(), Some(crc32(&big)));
    drop(r);

    // Read back by both protocols, with the id after the blob (the row's second packet).
    let sql = "SELECT b, id FROM lb";
    let sel = s.prepare(sql).await.unwrap();
    for binary in [false, true] {
        let mut r = if binary {
            s.execute(&sel, &[]).await.unwrap()
        } else {
            s.query(sql).await.unwrap()
        };
        let row = r.next_row().await.unwrap().unwrap();
        assert_eq!(row.is_binary(), binary);
        assert!(
            row.payload().len() > 0xFF_FFFF,
            "one row of several packets"
        );
        let got = row.get::<&[u8]>(0).unwrap().unwrap();
        assert_eq!(got.len(), LEN, "binary {binary}");
        assert!(got == &big[..], "binary {binary}: the bytes differ");
        assert_eq!(row.get::<Vec<u8>>(0).unwrap().unwrap().len(), LEN);
        assert_eq!(row.get::<i32>(1).unwrap(), Some(1));
        assert!(r.next_row().await.unwrap().is_none());
    }
    // The session goes on normally afterwards.
    s.ping().await.unwrap();
}
