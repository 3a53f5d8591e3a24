//! `faxvox fax-sim` end to end through the binary: G.711 and T.38 (with loss), JSON report on
//! stdout, PDF written, exit codes.

use crate::support::fax_pages;

use std::process::Command;

use faxvox_codecs::Resolution;

use fax_pages::*;

fn fax_sim(args: &[&str]) -> (std::process::Output, serde_json::Value) {
    // Run from an empty directory so no ./faxvox.toml is picked up.
    let cwd = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_faxvox"))
        .arg("fax-sim")
        .args(args)
        .current_dir(cwd.path())
        .env_remove("FAXVOX_CONFIG")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out, json)
}

#[test]
fn fax_sim_g711_and_t38_write_pdfs_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let pages = [test_page(41, Resolution::STANDARD)];
    let doc = write_doc(dir.path(), "doc.tif", &pages);
    for (transport, loss) in [("g711", "0"), ("t38", "3")] {
        let pdf = dir.path().join(format!("out-{transport}.pdf"));
        let (out, report) = fax_sim(&[
            doc.to_str().unwrap(),
            pdf.to_str().unwrap(),
            "--transport",
            transport,
            "--loss",
            loss,
            "--seed",
            "7",
        ]);
        assert!(
            out.status.success(),
            "{transport}: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        let r = &report["receiver"];
        assert_eq!(r["success"], true, "{report:#}");
        assert_eq!(r["pages"], 1);
        assert_eq!(r["ecm"], true);
        assert_eq!(
            r["transport"],
            if transport == "g711" { "g711u" } else { "t38" }
        );
        assert_eq!(report["sender"]["success"], true);
        assert_eq!(report["pdf_pages"], 1);
        assert!(report["realtime_factor"].as_f64().unwrap() > 1.0);
        assert!(report["simulated_s"].as_f64().unwrap() > 10.0);
        eprintln!(
            "fax-sim {transport} loss {loss}%: {:.1} s simulated, {:.3} s wall, x{:.0}",
            report["simulated_s"].as_f64().unwrap(),
            report["wall_s"].as_f64().unwrap(),
            report["realtime_factor"].as_f64().unwrap()
        );
        let bytes = std::fs::read(&pdf).unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
        // No temporary file left next to the output.
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }
}

#[test]
fn fax_sim_rejects_bad_arguments_and_reports_failure() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("out.pdf");
    // Missing input: operational error, exit 1.
    let (out, _) = fax_sim(&["/nonexistent/doc.tif", pdf.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    // Out-of-range loss.
    let doc = write_doc(
        dir.path(),
        "doc.tif",
        &[test_page(42, Resolution::STANDARD)],
    );
    let (out, _) = fax_sim(&[
        doc.to_str().unwrap(),
        pdf.to_str().unwrap(),
        "--loss",
        "150",
    ]);
    assert_eq!(out.status.code(), Some(1));
    // 100 % loss: the call fails, exit 2, and the report says why.
    let (out, report) = fax_sim(&[
        doc.to_str().unwrap(),
        pdf.to_str().unwrap(),
        "--loss",
        "100",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(report["receiver"]["success"], false);
    assert!(!report["receiver"]["result_text"]
        .as_str()
        .unwrap()
        .is_empty());
    assert!(!pdf.exists());
}
