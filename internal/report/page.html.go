package report

const pageHTML = `<!DOCTYPE html>
<html lang="ru">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Сверка: {{.OrgCode}}, запуск {{.RunID}}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1b1f24; }
h1 { font-size: 20px; margin: 0 0 4px; }
.meta { color: #57606a; margin-bottom: 16px; }
table { border-collapse: collapse; margin: 8px 0 24px; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; }
th { background: #f6f8fa; text-align: left; }
td.d { white-space: nowrap; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { font-weight: 600; background: #f6f8fa; }
.bad { color: #cf222e; }
.ok { color: #1a7f37; }
svg .billing { fill: #0969da; }
svg .acquiring { fill: #bf8700; }
svg text { font-size: 11px; fill: #57606a; }
.legend span { display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 12px; vertical-align: -1px; }
</style>
</head>
<body>
<h1>Сверка биллинга и реестра банка</h1>
<div class="meta">{{.OrgName}} ({{.OrgCode}}) · запуск {{.RunID}} · сформировано {{.Generated}}{{range .Files}}<br>{{.}}{{end}}</div>
{{with .Decision}}
<h2>Решение по загрузке</h2>
<p class="{{if .Approved}}ok{{else}}bad{{end}}">{{if .Approved}}Одобрено{{else}}Отклонено{{end}}: {{.By}}, {{.When}} ({{.Source}})</p>
{{if .Load}}<p>Загрузить дополнительно ({{len .Load}}):</p>
<ul>{{range .Load}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Withhold}}<p>Не загружать ({{len .Withhold}}):</p>
<ul>{{range .Withhold}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{end}}

<div class="legend"><span style="background:#0969da"></span>Биллинг<span style="background:#bf8700"></span>Реестр банка (макс. {{.Chart.Max}} ₽)</div>
<svg width="{{.Chart.Width}}" height="{{.Chart.Height}}" role="img" aria-label="Суммы по дням">
{{range .Chart.Bars}}<rect class="{{.Class}}" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"><title>{{.Title}}</title></rect>
{{end}}{{range .Chart.Labels}}<text x="{{.X}}" y="{{.Y}}" text-anchor="middle">{{.Text}}</text>
{{end}}</svg>

<h2>По дням</h2>
<table>
<tr><th>День</th><th>Биллинг, шт.</th><th>Биллинг, ₽</th><th>Банк, шт.</th><th>Банк, ₽</th><th>Совпало</th><th>Расхождение сумм</th><th>Только биллинг</th><th>Только банк</th><th>Разница, ₽</th></tr>
{{range .Days}}<tr><td class="d">{{.Day}}</td><td class="n">{{.BillingCount}}</td><td class="n">{{money .BillingSum}}</td><td class="n">{{.AcquiringCount}}</td><td class="n">{{money .AcquiringSum}}</td><td class="n">{{.Matched}}</td><td class="n">{{.Mismatched}}</td><td class="n">{{.BillingOnly}}</td><td class="n">{{.AcquiringOnly}}</td><td class="n {{if eq (diff .) 0}}ok{{else}}bad{{end}}">{{money (diff .)}}</td></tr>
{{end}}<tr class="total"><td>Итого</td><td class="n">{{.Total.BillingCount}}</td><td class="n">{{money .Total.BillingSum}}</td><td class="n">{{.Total.AcquiringCount}}</td><td class="n">{{money .Total.AcquiringSum}}</td><td class="n">{{.Total.Matched}}</td><td class="n">{{.Total.Mismatched}}</td><td class="n">{{.Total.BillingOnly}}</td><td class="n">{{.Total.AcquiringOnly}}</td><td class="n {{if eq (diff .Total) 0}}ok{{else}}bad{{end}}">{{money (diff .Total)}}</td></tr>
</table>

<h2>Расхождения</h2>
{{if not .Rows}}<p class="ok">Расхождений нет.</p>{{else}}
<table>
<tr><th>День</th><th>Что</th><th>Счёт</th><th>Поставщик</th><th>Услуга</th><th>Биллинг, ₽</th><th>Банк, ₽</th><th>Разница, ₽</th><th>Операция</th><th>Где</th></tr>
{{range .Rows}}<tr><td class="d">{{day .}}</td><td>{{status .Status}}{{with .Reason}}: {{.}}{{end}}</td><td>{{.BillNumber}}</td><td>{{.SupplierID}}</td><td>{{.ServiceID}}</td><td class="n">{{if .BillingMain}}{{total . "b"}}{{else}}—{{end}}</td><td class="n">{{if .AcquiringMain}}{{total . "a"}}{{else}}—{{end}}</td><td class="n bad">{{rowdiff .}}</td><td>{{.OrderID}}</td><td>{{.BillingRef}} {{.AcquiringRef}}</td></tr>
{{end}}</table>
{{if .More}}<p>И ещё {{.More}} — полный список в CSV-отчёте.</p>{{end}}{{end}}
</body>
</html>
`
