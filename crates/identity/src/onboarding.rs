//! Getting an account: the sign-up page (`/signup`) that explains each way
//! in plain words — the national e-ID, a USB signing token, a SIM
//! signature, and the NSW declarant registration — with what the person
//! needs, what happens, the assurance level they get and where to start;
//! and the messages of the e-ID link that an existing account must prove.
use crate::IdentityContext;
use motcua_domain::AuthMethod;

/// One way to get an account, as the sign-up page shows it (i18n keys).
pub struct Way {
    pub id: &'static str,
    pub title: &'static str,
    pub who: &'static str,
    pub need: Vec<&'static str>,
    pub steps: Vec<&'static str>,
    /// (label key or none, level description key) per line.
    pub levels: Vec<(Option<&'static str>, String)>,
    pub start: &'static str,
    pub href: &'static str,
}

/// The level description key of `method` under the operator's policy.
fn level_key(state: &IdentityContext, method: AuthMethod) -> String {
    format!("ways.level.{}", state.identity.levels.level(method).get())
}

/// The ways this portal offers (e-ID and SIM only when configured).
pub fn ways(state: &IdentityContext) -> Vec<Way> {
    let mut out = Vec::new();
    if state.identity.eid.is_some() {
        out.push(Way {
            id: "eid",
            title: "ways.eid.title",
            who: "ways.eid.who",
            need: vec!["ways.eid.need.app", "ways.need.email_optional"],
            steps: vec![
                "ways.eid.step.provider",
                "ways.eid.step.consent",
                "ways.eid.step.done",
                "ways.eid.step.existing",
            ],
            levels: vec![
                (Some("ways.eid.level2"), level_key(state, AuthMethod::EidL2)),
                (Some("ways.eid.level1"), level_key(state, AuthMethod::EidL1)),
            ],
            start: "ways.eid.start",
            href: "/auth/eid?next=/account",
        });
    }
    out.push(Way {
        id: "token",
        title: "ways.token.title",
        who: "ways.token.who",
        need: vec![
            "ways.token.need.token",
            "ways.token.need.tool",
            "ways.need.email",
        ],
        steps: vec![
            "ways.token.step.sign",
            "ways.step.prefill",
            "ways.step.code",
        ],
        levels: vec![(None, level_key(state, AuthMethod::UsbToken))],
        start: "ways.token.start",
        href: "/auth/token?purpose=register",
    });
    if state.identity.sim.is_some() {
        out.push(Way {
            id: "sim",
            title: "ways.sim.title",
            who: "ways.sim.who",
            need: vec!["ways.sim.need.phone", "ways.need.email"],
            steps: vec![
                "ways.sim.step.number",
                "ways.sim.step.sign",
                "ways.step.prefill",
                "ways.step.code",
            ],
            levels: vec![(None, level_key(state, AuthMethod::Sim))],
            start: "ways.sim.start",
            href: "/auth/sim?purpose=register",
        });
    }
    out.push(Way {
        id: "declarant",
        title: "ways.declarant.title",
        who: "ways.declarant.who",
        need: vec![
            "ways.declarant.need.business",
            "ways.declarant.need.certificate",
            "ways.declarant.need.email",
        ],
        steps: vec![
            "ways.declarant.step.form",
            "ways.declarant.step.review",
            "ways.declarant.step.account",
        ],
        levels: vec![(None, level_key(state, AuthMethod::Password))],
        start: "ways.declarant.start",
        href: "/register/declarant",
    });
    out
}

/// Messages of the sign-up page and the e-ID link (Vietnamese, English).
pub const MESSAGES: &[motcua_kernel::i18n::Message] = &[
    ("ways.entry", "Đăng ký tài khoản", "Create an account"),
    ("ways.entry_lead", "Chưa có tài khoản? Xem các cách đăng ký và chọn cách phù hợp với bạn.", "No account yet? See the ways to get one and pick the one that suits you."),
    ("ways.title", "Đăng ký tài khoản", "Create an account"),
    ("ways.lead", "Chọn một trong các cách dưới đây, tùy giấy tờ và thiết bị bạn đang có. Đăng ký không mất phí. Mỗi người, mỗi doanh nghiệp chỉ cần một tài khoản.", "Choose one of the ways below, depending on what you have at hand. Registering is free. Each person or business needs one account only."),
    ("ways.list", "Các cách đăng ký", "Ways to register"),
    ("ways.need", "Bạn cần", "What you need"),
    ("ways.steps", "Các bước", "What happens"),
    ("ways.level", "Mức độ tin cậy khi đăng nhập", "Assurance level of your logins"),
    ("ways.level.1", "Mức 1 (thấp): đủ để xem và quản lý tài khoản; trang nào cần mức cao hơn sẽ đề nghị bạn xác thực bổ sung.", "Level 1 (low): enough to see and manage your account; a page that needs more asks you to confirm with a stronger way."),
    ("ways.level.2", "Mức 2 (đáng kể): dùng được các trang cần mức 2 trở xuống; trang cần mức cao hơn sẽ đề nghị bạn xác thực bổ sung.", "Level 2 (substantial): pages that need level 2 or less; a page that needs more asks you to confirm with a stronger way."),
    ("ways.level.3", "Mức 3 (cao): dùng được cả các trang cần đăng nhập mạnh, như quản lý chứng thư số.", "Level 3 (high): also the pages that need a strong login, such as managing your certificates."),
    ("ways.level.4", "Mức 4 (rất cao): dùng được mọi trang.", "Level 4 (very high): every page."),
    ("ways.need.email", "Một địa chỉ thư điện tử để nhận mã xác nhận.", "An email address to receive a confirmation code."),
    ("ways.need.email_optional", "Địa chỉ thư điện tử nếu bạn muốn nhận thông báo (không bắt buộc).", "An email address if you want notices (optional)."),
    ("ways.step.prefill", "Cổng điền sẵn thông tin từ chứng thư số (họ tên, số định danh hoặc mã số thuế); bạn nhập địa chỉ thư điện tử.", "The portal fills in the details from the certificate (name, personal ID or tax code); you add your email address."),
    ("ways.step.code", "Bạn nhập mã 6 chữ số được gửi qua thư điện tử: tài khoản được kích hoạt và bạn đã đăng nhập.", "You enter the 6-digit code sent by email: the account is active and you are logged in."),
    ("ways.eid.title", "Bằng tài khoản định danh điện tử (VNeID)", "With the national e-ID (VNeID)"),
    ("ways.eid.who", "Dành cho công dân đã có tài khoản định danh điện tử trên ứng dụng VNeID. Đây là cách nhanh nhất.", "For citizens with an e-ID account in the VNeID app. This is the quickest way."),
    ("ways.eid.need.app", "Điện thoại có ứng dụng VNeID, tài khoản định danh điện tử đã được kích hoạt.", "A phone with the VNeID app and your activated e-ID account."),
    ("ways.eid.step.provider", "Cổng chuyển bạn sang hệ thống định danh điện tử để đăng nhập và xác nhận.", "The portal sends you to the national e-ID system to log in and confirm."),
    ("ways.eid.step.consent", "Quay lại Cổng, bạn xem các thông tin sẽ được lưu (họ tên, số định danh cá nhân, ngày sinh) và đồng ý.", "Back on the portal, you see what will be stored (name, personal ID, date of birth) and agree."),
    ("ways.eid.step.done", "Tài khoản được tạo ngay và bạn đã đăng nhập. Lần sau chỉ cần đăng nhập bằng VNeID.", "The account is created at once and you are logged in. Next time, just log in with VNeID."),
    ("ways.eid.step.existing", "Nếu bạn đã có tài khoản với cùng số định danh cá nhân, Cổng không tạo tài khoản thứ hai: bạn đăng nhập vào tài khoản đó một lần để liên kết VNeID với nó.", "If you already have an account with the same personal ID, the portal does not create a second one: you log in to that account once to link VNeID to it."),
    ("ways.eid.level2", "Tài khoản VNeID mức 2", "VNeID level 2 account"),
    ("ways.eid.level1", "Tài khoản VNeID mức 1", "VNeID level 1 account"),
    ("ways.eid.start", "Đăng ký bằng VNeID", "Sign up with VNeID"),
    ("ways.token.title", "Bằng chữ ký số (USB token)", "With a digital signature (USB token)"),
    ("ways.token.who", "Dành cho công dân, doanh nghiệp và tổ chức có chứng thư số do tổ chức cung cấp dịch vụ chứng thực chữ ký số cấp.", "For citizens, businesses and organisations with a certificate from a licensed certification service provider."),
    ("ways.token.need.token", "Thiết bị ký số (USB token) còn hiệu lực và mã PIN của nó.", "Your signing token (USB), still valid, and its PIN."),
    ("ways.token.need.tool", "Máy tính đã cài công cụ ký số Motcua (tải miễn phí trên Cổng).", "A computer with the Motcua signing tool installed (a free download from the portal)."),
    ("ways.token.step.sign", "Bạn ký một lần bằng thiết bị ký số; mã PIN chỉ được nhập trên máy tính của bạn.", "You sign once with the token; the PIN is typed only on your computer."),
    ("ways.token.start", "Đăng ký bằng USB token", "Sign up with a USB token"),
    ("ways.sim.title", "Bằng chữ ký số trên SIM", "With a SIM signature"),
    ("ways.sim.who", "Dành cho người đã đăng ký dịch vụ chữ ký số trên SIM với nhà mạng.", "For people who have a SIM signature service from their mobile operator."),
    ("ways.sim.need.phone", "Điện thoại có SIM ký số ở bên cạnh, và mã PIN của chữ ký số.", "Your phone with the signing SIM at hand, and the signature's PIN."),
    ("ways.sim.step.number", "Bạn nhập số điện thoại; điện thoại hiện yêu cầu ký có mã trùng với mã trên trang.", "You enter your phone number; the phone shows a signing request with the same code as the page."),
    ("ways.sim.step.sign", "Bạn nhập mã PIN trên điện thoại. Chỉ ký một lần cho cả việc đăng ký.", "You type the PIN on the phone. One signature is all the sign-up takes."),
    ("ways.sim.start", "Đăng ký bằng SIM ký số", "Sign up with a SIM signature"),
    ("ways.declarant.title", "Tài khoản người khai của doanh nghiệp (Cổng một cửa quốc gia)", "Declarant accounts of a business (National Single Window)"),
    ("ways.declarant.who", "Dành cho doanh nghiệp, tổ chức cần tài khoản để khai báo hồ sơ trên Cổng thông tin một cửa quốc gia.", "For businesses and organisations that need an account to file dossiers on the National Single Window."),
    ("ways.declarant.need.business", "Mã số thuế và thông tin của doanh nghiệp, của người đại diện theo pháp luật và người liên hệ.", "The business's tax code and details, and those of its legal representative and contact person."),
    ("ways.declarant.need.certificate", "Giấy chứng nhận đăng ký doanh nghiệp (tệp đính kèm).", "The business registration certificate (an attached file)."),
    ("ways.declarant.need.email", "Địa chỉ thư điện tử của tổ chức để nhận kết quả và tài khoản.", "The organisation's email address, to receive the result and the account."),
    ("ways.declarant.step.form", "Bạn điền tờ khai đăng ký và bấm liên kết xác nhận được gửi tới thư điện tử của tổ chức.", "You fill in the registration form and follow the confirmation link sent to the organisation's email."),
    ("ways.declarant.step.review", "Đơn vị quản lý Cổng kiểm tra hồ sơ trong 01 ngày làm việc; bạn theo dõi được trạng thái hồ sơ.", "The Portal Management Unit checks the registration within 1 working day; you can follow its status."),
    ("ways.declarant.step.account", "Khi được chấp thuận, tên đăng nhập và mật khẩu ban đầu được gửi qua thư điện tử; bạn đổi mật khẩu ở lần đăng nhập đầu.", "Once accepted, the username and an initial password are sent by email; you change the password at the first login."),
    ("ways.declarant.start", "Đăng ký tài khoản người khai", "Register as a declarant"),
    ("ways.have_account", "Đã có tài khoản?", "Already have an account?"),
    ("eid.exists", "Đã có tài khoản với số định danh cá nhân (hoặc mã số thuế) này, nên Cổng không tạo tài khoản thứ hai. Hãy đăng nhập lại bằng định danh điện tử để liên kết với tài khoản đó.", "An account with this personal ID (or tax code) exists, so the portal does not create a second one. Log in with your e-ID again to link it to that account."),
    ("eid.link.title", "Bạn đã có tài khoản với số định danh cá nhân này", "An account with your personal ID exists"),
    ("eid.link.lead", "Cổng không tạo tài khoản thứ hai. Hãy đăng nhập vào tài khoản đó một lần, bằng cách bạn vẫn dùng, để liên kết định danh điện tử với nó. Sau đó, đăng nhập bằng định danh điện tử sẽ vào thẳng tài khoản này.", "The portal does not create a second account. Log in to that account once, the way you usually do, to link your e-ID to it. After that, logging in with your e-ID goes straight to this account."),
    ("eid.link.eid", "Định danh điện tử", "e-ID"),
    ("eid.link.ways", "Đăng nhập vào tài khoản hiện có bằng", "Log in to the existing account with"),
    ("eid.link.password", "Tên đăng nhập và mật khẩu", "Username and password"),
    ("eid.link.expires", "Yêu cầu liên kết có hiệu lực trong 15 phút.", "The link request is valid for 15 minutes."),
    ("eid.link.confirm_lead", "Bạn đã đăng nhập vào tài khoản có cùng số định danh cá nhân. Liên kết định danh điện tử dưới đây với tài khoản này?", "You are logged in to the account with the same personal ID. Link the e-ID below to this account?"),
    ("eid.link.account", "Tài khoản", "Account"),
    ("eid.link.submit", "Liên kết định danh điện tử", "Link my e-ID"),
    ("eid.link.other_account", "Tài khoản bạn vừa đăng nhập không phải tài khoản có số định danh cá nhân của định danh điện tử này, nên định danh điện tử không được liên kết. Yêu cầu liên kết đã bị hủy.", "The account you logged in to is not the one with this e-ID's personal ID, so the e-ID was not linked. The link request was cancelled."),
    ("eid.link.gone", "Yêu cầu liên kết đã hết hạn hoặc đã được dùng. Hãy đăng nhập lại bằng định danh điện tử.", "The link request expired or was already used. Log in with your e-ID again."),
    ("flash.eid_linked", "Đã liên kết định danh điện tử với tài khoản. Từ nay đăng nhập bằng định danh điện tử sẽ vào thẳng tài khoản này.", "Your e-ID is linked to this account. From now on, logging in with your e-ID goes straight to it."),
    ("token.signup_offer", "Đăng ký tài khoản bằng chứng thư số này (không cần ký lại)", "Register an account with this certificate (no need to sign again)"),
];
