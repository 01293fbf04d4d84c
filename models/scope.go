package models

// DMGuildID is the server key under which usage in direct messages is
// recorded. It is not NULL, so that upserts on (guild, ...) keys match,
// and no Discord server has it as its ID, since snowflakes are numbers.
const DMGuildID = "dm"

// GlobalGuildID is the server key of blacklist, rate-limit and budget
// entries that apply in every server and in direct messages.
const GlobalGuildID = ""
