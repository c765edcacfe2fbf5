"""Action ids of our buttons: the contract between the builders and the listeners."""

CLAIM = "case_claim"
RESOLVE = "case_resolve"
REOPEN = "case_reopen"
LEAVE = "case_leave"
DEVICE = "case_device"
DELETE = "case_delete"
REPLY_EMAIL = "case_reply_email"
REPLY_EMAIL_VIEW = "reply_email"  # the modal's callback_id
HOME_AVAILABLE = "home_available"
HOME_UNAVAILABLE = "home_unavailable"
HOME_PREFERENCE = "home_preference"  # value: "<name>:on" | "<name>:off"
