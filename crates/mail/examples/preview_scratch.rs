use motcua_mail::*;
#[tokio::main]
async fn main() {
    let ts = vec![
        (
            "reset",
            Template::PasswordReset {
                full_name: "Nguyễn Văn An".into(),
                link: "https://motcua.example.vn/dat-lai-mat-khau?t=abc&u=1".into(),
                minutes: 30,
            },
        ),
        (
            "changed",
            Template::PasswordChanged {
                full_name: "Trần Thị Bích".into(),
                at: "14:05 ngày 22/11/2025".into(),
                report_link: "https://motcua.example.vn/bao-cao/xyz".into(),
            },
        ),
        (
            "initial",
            Template::InitialPassword {
                full_name: "Lê Hoàng Cường".into(),
                username: "cuong.le".into(),
                password: "Xk7#mP2q-Lv9".into(),
                login_link: "https://motcua.example.vn/dang-nhap".into(),
                expires: "23:59 ngày 29/11/2025".into(),
            },
        ),
        (
            "locked",
            Template::AccountLocked {
                full_name: "Phạm Minh Đức".into(),
                reason: "Đăng nhập sai quá nhiều lần".into(),
                at: "08:00 ngày 23/11/2025".into(),
            },
        ),
        (
            "reported",
            Template::CompromiseReported {
                username: "duc.pham".into(),
                full_name: "Phạm Minh Đức".into(),
                at: "09:30 ngày 23/11/2025".into(),
                ip: "203.0.113.7".into(),
                note: "Tôi không đổi mật khẩu <b>".into(),
                console_link: "https://motcua.example.vn/quan-tri/tai-khoan/42".into(),
            },
        ),
    ];
    std::fs::create_dir_all("/tmp/mailprev").unwrap();
    let m = Mailer::file(
        "/tmp/mailprev/eml",
        "Cổng Dịch vụ công Motcua <no-reply@motcua.example.vn>",
    )
    .unwrap();
    for (n, t) in &ts {
        for l in [Locale::Vi, Locale::En] {
            let r = render(t, l);
            std::fs::write(format!("/tmp/mailprev/{n}.{}.html", l.as_str()), &r.html).unwrap();
            std::fs::write(
                format!("/tmp/mailprev/{n}.{}.txt", l.as_str()),
                format!("Subject: {}\n\n{}", r.subject, r.text),
            )
            .unwrap();
            if *n == "reset" && l == Locale::Vi {
                m.send(&OutgoingMail::new("an@example.vn", r))
                    .await
                    .unwrap();
            }
        }
    }
}
