from billpay.cli import main

main()
