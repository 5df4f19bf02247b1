dist_man_MANS += man/flowchaind.8 man/flowchainctl.8
