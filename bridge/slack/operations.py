"""Names of the outbox operations the Slack deliverer knows how to carry out."""

CASE_POST = "case.post"  # the case message in the portal's channel
CASE_UPDATE = "case.update"  # re-render the case message in place
THREAD_POST = "thread.post"  # a line in the case's thread (customer message, full question)
PURGE_THREAD = "thread.purge"  # delete what the bot posted in the thread (case deleted)
PURGE_DMS = "dms.purge"  # delete the direct messages the bot sent about the case (case deleted)
ALERT_DM = "alert.dm"  # tell one agent in a direct message
ALERT_MENTION = "alert.mention"  # mention agents in the case's thread
EPHEMERAL = "ephemeral"  # a private answer to one agent
REACTION = "reaction"  # mark an agent's thread message (internal note)
HOME_PUBLISH = "home.publish"  # refresh one agent's App Home
EMAIL_POST = "thread.email"  # a customer's email reply, quoted in the thread
NOTICE_DM = "notice.dm"  # a plain direct message to one person (admins, assignees)
FATE_MARK = "reply.fate"  # the reaction on an agent's reply that says what became of it
FILE_POST = "thread.file"  # a customer's file shared into the case's thread
PURGE_FILES = "files.purge"  # delete the files the bot uploaded for the case (case deleted)
