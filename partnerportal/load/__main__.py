from partnerportal.load.run import main

main()
