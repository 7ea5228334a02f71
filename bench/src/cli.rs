//! The bulk dump through the two command-line clients: `mariadb --batch --quick` and
//! `mywire --batch`, run as external processes and timed from the parent.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::stats::Sample;
use crate::{clients, measure, server};

/// The mywire CLI if it has `--batch` ($MYWIRE_CLI, else `mywire` beside this binary).
pub fn mywire_cli() -> Option<PathBuf> {
    let p = std::env::var_os("MYWIRE_CLI")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::current_exe()
                .ok()?
                .parent()
                .map(|d| d.join("mywire"))
        })?;
    let out = Command::new(&p)
        .arg("--help")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    text.contains("--batch").then_some(p)
}

pub struct CliSpec {
    pub port: u16,
    pub mywire: Option<PathBuf>,
}

pub fn cli_command(c: &str, spec: &CliSpec, url: &str) -> Option<Command> {
    match c {
        "mariadb-cli" => {
            let mut cmd = Command::new("mariadb");
            cmd.args([
                "--no-defaults",
                "--skip-ssl",
                "--protocol=TCP",
                "-h127.0.0.1",
            ])
            .arg(format!("-P{}", spec.port))
            .arg(format!("-u{}", server::USER))
            .arg(format!("-p{}", server::PASSWORD))
            .arg(server::DATABASE)
            .args(["--batch", "--quick", "-e", clients::BULK_SQL]);
            Some(cmd)
        }
        "mywire-cli" => {
            let mut cmd = Command::new(spec.mywire.as_ref()?);
            cmd.args(["--url", url, "--batch", "-e", clients::BULK_SQL]);
            Some(cmd)
        }
        _ => None,
    }
}

/// Runs an external command with stdout to `out`; wall time and rusage of the child (wait4).
pub fn run_external(mut cmd: Command, pinned: bool, out: Stdio) -> Result<Sample, String> {
    cmd.stdin(Stdio::null())
        .stdout(out)
        .stderr(Stdio::inherit());
    if pinned {
        unsafe {
            cmd.pre_exec(|| {
                measure::set_affinity(0, &[0]).map_err(|e| std::io::Error::other(e.to_string()))
            });
        }
    }
    let t = Instant::now();
    let child = cmd.spawn().map_err(|e| format!("spawn: {e}"))?;
    let pid = child.id() as i32;
    let mut status = 0;
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    let wall = t.elapsed();
    if r != pid || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return Err(format!("external command failed (status {status})"));
    }
    Ok(Sample {
        wall,
        cpu: measure::tv(ru.ru_utime) + measure::tv(ru.ru_stime),
        srv_cpu: None,
        peak_kb: ru.ru_maxrss as u64,
        base_kb: 0,
        check: String::new(),
    })
}

/// True if the two files hold the same bytes.
pub fn files_equal(a: &std::path::Path, b: &std::path::Path) -> bool {
    use std::io::Read;
    let (Ok(fa), Ok(fb)) = (std::fs::File::open(a), std::fs::File::open(b)) else {
        return false;
    };
    let (mut ra, mut rb) = (std::io::BufReader::new(fa), std::io::BufReader::new(fb));
    let (mut ba, mut bb) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let na = read_full(&mut ra, &mut ba);
        let nb = read_full(&mut rb, &mut bb);
        if na != nb || ba[..na] != bb[..nb] {
            return false;
        }
        if na == 0 {
            return true;
        }
    }
    fn read_full(r: &mut impl Read, b: &mut [u8]) -> usize {
        let mut n = 0;
        while n < b.len() {
            match r.read(&mut b[n..]) {
                Ok(0) | Err(_) => break,
                Ok(k) => n += k,
            }
        }
        n
    }
}
